// Devices register against the emulator with Microsoft's device SDK (HTTP transport): every
// attestation the emulator supports, the refusals, allocation, precedence and registration states.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ProvisioningServiceClient } from "azure-iot-provisioning-service";
import type { EnrollmentGroup, IndividualEnrollment } from "azure-iot-provisioning-service/dist/interfaces";
import type { EmulatorHandle } from "../../emulator";
import { createTlsMaterial, issueCertificate, type IssuedCertificate } from "../../emulator/tls";
import { refused, registerDevice } from "../support/devices";
import { KEY_A, KEY_B, clientFor, raw, start } from "./helpers";

const HUBS = ["hub1.azure-devices.net", "hub2.azure-devices.net", "hub3.azure-devices.net"];

/** The device key of a group member, computed as the Azure docs show (independently of the emulator). */
function deviceKey(groupKey: string, registrationId: string): string {
  return createHmac("sha256", Buffer.from(groupKey, "base64")).update(registrationId).digest("base64");
}

function symmetric(registrationId: string, extra: object = {}): IndividualEnrollment {
  return {
    registrationId,
    attestation: { type: "symmetricKey", symmetricKey: { primaryKey: KEY_A, secondaryKey: KEY_B } },
    ...extra,
  } as IndividualEnrollment;
}

describe("emulator: devices register with the device SDK", function () {
  this.timeout(60_000);
  let emu: EmulatorHandle;
  let client: ProvisioningServiceClient;

  before(async () => {
    emu = await start({ linkedHubs: HUBS });
    client = clientFor(emu);
  });
  after(() => emu.stop());

  it("symmetric key: primary and secondary keys register; deviceId defaults to the registration id", async () => {
    await client.createOrUpdateIndividualEnrollment(
      symmetric("sym-1", { allocationPolicy: "static", iotHubs: [HUBS[1]] }),
    );
    const first = await registerDevice(emu, "sym-1", { symmetricKey: KEY_A });
    assert.equal(first.assignedHub, HUBS[1]);
    assert.equal(first.deviceId, "sym-1");
    assert.equal(first.status, "assigned");
    assert.equal(first.substatus, "initialAssignment");
    const second = await registerDevice(emu, "sym-1", { symmetricKey: KEY_B });
    assert.equal(second.assignedHub, HUBS[1]);
    assert.equal(second.createdDateTimeUtc, first.createdDateTimeUtc);
  });

  it("static without hubs (accepted, as recorded) assigns the DPS's first linked hub; a null status is enabled", async () => {
    await client.createOrUpdateIndividualEnrollment(
      symmetric("sym-static-none", {
        allocationPolicy: "static",
        iotHubs: null,
        provisioningStatus: null,
      }),
    );
    const result = await registerDevice(emu, "sym-static-none", { symmetricKey: KEY_A });
    assert.equal(result.status, "assigned");
    assert.equal(result.assignedHub, HUBS[0]);
  });

  it("refuses a wrong key, an unknown registration id and a disabled enrollment", async () => {
    await client.createOrUpdateIndividualEnrollment(symmetric("sym-off", { provisioningStatus: "disabled" }));
    const other = Buffer.alloc(32, 9).toString("base64");
    await refused(registerDevice(emu, "sym-1", { symmetricKey: other }), /signature/);
    await refused(registerDevice(emu, "nobody-here", { symmetricKey: KEY_A }), /no enrollment/);
    await refused(registerDevice(emu, "sym-off", { symmetricKey: KEY_A }), /disabled/);
    const res = await raw(emu, `/${emu.idScope}/registrations/sym-off/register?api-version=2019-03-31`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ registrationId: "sym-off" }),
      authorization: null,
    });
    assert.equal(res.status, 401);
    assert.equal((res.json() as { errorCode: number }).errorCode, 401002);
  });

  it("groups: a device key derived from the group key registers; the group key itself and a disabled group are refused", async () => {
    const groupKey = Buffer.alloc(32, 5).toString("base64");
    await client.createOrUpdateEnrollmentGroup({
      enrollmentGroupId: "grp-sym",
      attestation: { type: "symmetricKey", symmetricKey: { primaryKey: groupKey, secondaryKey: KEY_B } },
    } as EnrollmentGroup);
    const result = await registerDevice(emu, "grp-dev-1", { symmetricKey: deviceKey(groupKey, "grp-dev-1") });
    assert.equal(result.status, "assigned");
    assert.ok(HUBS.includes(result.assignedHub), result.assignedHub);
    await refused(registerDevice(emu, "grp-dev-2", { symmetricKey: groupKey }), /group's key/);
    const offKey = Buffer.alloc(32, 6).toString("base64");
    await client.createOrUpdateEnrollmentGroup({
      enrollmentGroupId: "grp-off",
      provisioningStatus: "disabled",
      attestation: { type: "symmetricKey", symmetricKey: { primaryKey: offKey, secondaryKey: KEY_B } },
    } as EnrollmentGroup);
    await refused(
      registerDevice(emu, "grp-off-1", { symmetricKey: deviceKey(offKey, "grp-off-1") }),
      /disabled/,
    );

    // The service API shows the group's registrations, and an individual enrollment takes precedence.
    const states = await raw(emu, "/registrations/grp-sym/query?api-version=2021-10-01", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "*" }),
    });
    assert.equal(states.status, 200, states.text);
    assert.deepEqual(
      (states.json() as { registrationId: string }[]).map((s) => s.registrationId),
      ["grp-dev-1"],
    );
    await client.createOrUpdateIndividualEnrollment(
      symmetric("grp-dev-3", { allocationPolicy: "static", iotHubs: [HUBS[2]] }),
    );
    await refused(
      registerDevice(emu, "grp-dev-3", { symmetricKey: deviceKey(groupKey, "grp-dev-3") }),
      /signature/,
    );
    assert.equal((await registerDevice(emu, "grp-dev-3", { symmetricKey: KEY_A })).assignedHub, HUBS[2]);
  });

  it("hashed allocation is stable across re-registrations and spreads devices over the enrollment's hubs", async () => {
    const landed = new Set<string>();
    for (let i = 0; i < 6; i += 1) {
      const id = `hash-${i}`;
      await client.createOrUpdateIndividualEnrollment(
        symmetric(id, { allocationPolicy: "hashed", iotHubs: HUBS }),
      );
      const a = await registerDevice(emu, id, { symmetricKey: KEY_A });
      const b = await registerDevice(emu, id, { symmetricKey: KEY_A });
      assert.equal(b.assignedHub, a.assignedHub);
      landed.add(a.assignedHub);
    }
    assert.ok(landed.size >= 2, `6 devices all landed on ${[...landed].join()}`);
  });

  it("geoLatency allocates as hashed (stable; no geography on one machine)", async () => {
    await client.createOrUpdateIndividualEnrollment(
      symmetric("geo-1", { allocationPolicy: "geoLatency", iotHubs: [HUBS[0], HUBS[2]] }),
    );
    const a = await registerDevice(emu, "geo-1", { symmetricKey: KEY_A });
    assert.ok([HUBS[0], HUBS[2]].includes(a.assignedHub), a.assignedHub);
    assert.equal((await registerDevice(emu, "geo-1", { symmetricKey: KEY_A })).assignedHub, a.assignedHub);
  });

  it("reprovision policy: a moved static hub migrates the device, or keeps it when updateHubAssignment is false", async () => {
    await client.createOrUpdateIndividualEnrollment(
      symmetric("move-1", { allocationPolicy: "static", iotHubs: [HUBS[0]] }),
    );
    await registerDevice(emu, "move-1", { symmetricKey: KEY_A });
    let enrollment = await client.getIndividualEnrollment("move-1");
    assert.equal(enrollment.responseBody.registrationState?.assignedHub, HUBS[0]);
    await client.createOrUpdateIndividualEnrollment({
      ...enrollment.responseBody,
      iotHubs: [HUBS[1]],
      attestation: symmetric("x").attestation,
    });
    const moved = await registerDevice(emu, "move-1", { symmetricKey: KEY_A });
    assert.equal(moved.assignedHub, HUBS[1]);
    assert.equal(moved.substatus, "deviceDataMigrated");
    enrollment = await client.getIndividualEnrollment("move-1");
    await client.createOrUpdateIndividualEnrollment({
      ...enrollment.responseBody,
      iotHubs: [HUBS[2]],
      reprovisionPolicy: { updateHubAssignment: false, migrateDeviceData: false },
      attestation: symmetric("x").attestation,
    });
    const kept = await registerDevice(emu, "move-1", { symmetricKey: KEY_A });
    assert.equal(kept.assignedHub, HUBS[1]);
  });

  it("registration state: served by the service API; deleting it makes the next registration an initial one", async () => {
    await client.createOrUpdateIndividualEnrollment(
      symmetric("state-1", { deviceId: "dev-state", allocationPolicy: "static", iotHubs: [HUBS[2]] }),
    );
    const first = await registerDevice(emu, "state-1", { symmetricKey: KEY_A });
    assert.equal(first.deviceId, "dev-state");
    const state = (await client.getDeviceRegistrationState("state-1")).responseBody;
    assert.equal(state.assignedHub, HUBS[2]);
    assert.equal(state.status, "assigned");
    assert.equal(state.deviceId, "dev-state");
    const lookup = await raw(emu, `/${emu.idScope}/registrations/state-1?api-version=2019-03-31`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ registrationId: "state-1" }),
      authorization: sasForDevice(emu.idScope, "state-1", KEY_A),
    });
    assert.equal(lookup.status, 200, lookup.text);
    assert.equal((lookup.json() as { assignedHub: string }).assignedHub, HUBS[2]);
    await client.deleteDeviceRegistrationState("state-1");
    await assert.rejects(client.getDeviceRegistrationState("state-1"), /404|not found/i);
    const again = await registerDevice(emu, "state-1", { symmetricKey: KEY_A });
    assert.equal(again.substatus, "initialAssignment");
    assert.notEqual(again.createdDateTimeUtc, first.createdDateTimeUtc);
  });

  it("refuses a token for another ID scope, and keeps its ID scope and registrations across restarts", async () => {
    const wrongScope = await raw(emu, `/0ne99999999/registrations/sym-1/register?api-version=2019-03-31`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ registrationId: "sym-1" }),
      authorization: sasForDevice("0ne99999999", "sym-1", KEY_A),
    });
    assert.equal(wrongScope.status, 401);
    assert.match(
      (wrongScope.json() as { message: string }).message,
      /ID scope '0ne99999999' is not this DPS's/,
    );

    const dir = await mkdtemp(join(tmpdir(), "dps-devices-"));
    const stateFile = join(dir, "state.json");
    const first = await start({ stateFile, linkedHubs: HUBS });
    await clientFor(first).createOrUpdateIndividualEnrollment(symmetric("kept-1"));
    const registered = await registerDevice(first, "kept-1", { symmetricKey: KEY_A });
    await first.stop();
    const second = await start({ stateFile, linkedHubs: HUBS });
    try {
      assert.equal(second.idScope, first.idScope);
      const state = (await clientFor(second).getDeviceRegistrationState("kept-1")).responseBody;
      assert.equal(state.assignedHub, registered.assignedHub);
    } finally {
      await second.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  describe("custom allocation", () => {
    let webhook: Server;
    let seen: Record<string, unknown>[];
    let hookEmu: EmulatorHandle;

    before(async () => {
      const tls = await createTlsMaterial();
      seen = [];
      webhook = createServer({ key: tls.privateKeyPem, cert: tls.certificatePem }, (req, res) => {
        let text = "";
        req.on("data", (c: Buffer) => (text += c.toString()));
        req.on("end", () => {
          const body = JSON.parse(text) as Record<string, unknown>;
          seen.push(body);
          const answer = {
            iotHubHostName: HUBS[2],
            initialTwin: { tags: { from: "webhook" } },
            payload: { hello: "device" },
          };
          res.writeHead(200, { "content-type": "application/json" });
          res.end(JSON.stringify(answer));
        });
      });
      await new Promise<void>((ok) => webhook.listen(0, "127.0.0.1", ok));
      hookEmu = await start({ linkedHubs: HUBS, webhookCas: [tls.caCertificatePem] });
    });
    after(async () => {
      await hookEmu.stop();
      await new Promise<void>((done) => webhook.close(() => done()));
    });

    it("a webhook that cannot be reached makes the registration fail, with the reason in its state", async () => {
      const hookClient = clientFor(hookEmu);
      await hookClient.createOrUpdateIndividualEnrollment(
        symmetric("custom-down", {
          allocationPolicy: "custom",
          customAllocationDefinition: { webhookUrl: "https://127.0.0.1:1/none", apiVersion: "2021-10-01" },
        }),
      );
      await assert.rejects(
        registerDevice(hookEmu, "custom-down", { symmetricKey: KEY_A }),
        (err: Error & { result?: { registrationState?: { errorCode?: number; errorMessage?: string } } }) => {
          assert.equal(err.name, "ProvisioningRegistrationFailedError", err.message);
          assert.equal(err.result?.registrationState?.errorCode, 400209);
          assert.match(
            String(err.result?.registrationState?.errorMessage),
            /custom allocation webhook failed/,
          );
          return true;
        },
      );
      const state = (await hookClient.getDeviceRegistrationState("custom-down")).responseBody;
      assert.equal(state.status, "failed");
    });

    it("POSTs the documented body to the webhook and assigns the hub it returns", async () => {
      const { port } = webhook.address() as AddressInfo;
      await clientFor(hookEmu).createOrUpdateIndividualEnrollment(
        symmetric("custom-1", {
          allocationPolicy: "custom",
          customAllocationDefinition: {
            webhookUrl: `https://127.0.0.1:${port}/api/allocate?code=abc`,
            apiVersion: "2021-10-01",
          },
        }),
      );
      const result = await registerDevice(
        hookEmu,
        "custom-1",
        { symmetricKey: KEY_A },
        { model: "thermostat" },
      );
      assert.equal(result.assignedHub, HUBS[2]);
      assert.deepEqual(result.payload, { hello: "device" });
      assert.equal(seen.length, 1);
      const body = seen[0] as {
        individualEnrollment: { registrationId: string; attestation: object };
        deviceRuntimeContext: { registrationId: string; payload: object; symmetricKey: object };
        linkedHubs: string[];
      };
      assert.equal(body.individualEnrollment.registrationId, "custom-1");
      // The enrollment as reads show it: no keys.
      assert.deepEqual(body.individualEnrollment.attestation, { type: "symmetricKey" });
      assert.deepEqual(body.deviceRuntimeContext, {
        registrationId: "custom-1",
        symmetricKey: {},
        payload: { model: "thermostat" },
      });
      assert.deepEqual(body.linkedHubs, HUBS);
    });
  });

  describe("X.509", () => {
    let root: IssuedCertificate;
    let device: IssuedCertificate;
    let member: IssuedCertificate;
    let stranger: IssuedCertificate;

    before(async () => {
      root = await issueCertificate({ commonName: "Test Root CA", ca: true });
      const intermediate = await issueCertificate({
        commonName: "Test Intermediate",
        ca: true,
        issuer: root,
      });
      member = await issueCertificate({ commonName: "x509-member", issuer: intermediate });
      member = { ...member, certificatePem: member.certificatePem + intermediate.certificatePem };
      device = await issueCertificate({ commonName: "x509-dev" });
      stranger = await issueCertificate({ commonName: "x509-dev" });
    });

    it("individual: the enrolled client certificate registers; another with the same CN is refused", async () => {
      await client.createOrUpdateIndividualEnrollment({
        registrationId: "x509-dev",
        attestation: {
          type: "x509",
          x509: { clientCertificates: { primary: { certificate: device.certificatePem } } },
        },
        allocationPolicy: "static",
        iotHubs: [HUBS[0]],
      } as IndividualEnrollment);
      const result = await registerDevice(emu, "x509-dev", device);
      assert.equal(result.assignedHub, HUBS[0]);
      await refused(registerDevice(emu, "x509-dev", stranger), /not the one enrolled/);
    });

    it("group: a device whose chain leads to the signing certificate registers; others are refused", async () => {
      await client.createOrUpdateEnrollmentGroup({
        enrollmentGroupId: "grp-x509",
        attestation: {
          type: "x509",
          x509: { signingCertificates: { primary: { certificate: root.certificatePem } } },
        },
      } as EnrollmentGroup);
      const result = await registerDevice(emu, "x509-member", member);
      assert.equal(result.status, "assigned");
      const outsider = await issueCertificate({ commonName: "x509-outsider" });
      await refused(registerDevice(emu, "x509-outsider", outsider), /does not chain/);
    });
  });
});

/** A device SAS as the Node device SDK builds it: `sr` and the signed text are `{scope}/registrations/{id}`, raw. */
function sasForDevice(idScope: string, registrationId: string, key: string): string {
  const sr = `${idScope}/registrations/${registrationId}`;
  const se = Math.floor(Date.now() / 1000) + 600;
  const sig = createHmac("sha256", Buffer.from(key, "base64")).update(`${sr}\n${se}`).digest("base64");
  return `SharedAccessSignature sr=${sr}&sig=${encodeURIComponent(sig)}&se=${se}&skn=registration`;
}
