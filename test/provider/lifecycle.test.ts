/**
 * The provider through the real dynamic-provider gRPC server, with the serialized provider the engine
 * would store, against the emulator over HTTPS; out-of-band changes are made with the official client.
 */
import { strict as assert } from "assert";
import type { ProvisioningServiceClient } from "azure-iot-provisioning-service";
import { issueCertificate } from "../../emulator/tls";
import { registerDevice } from "../support/devices";
import { startEmulator, type EmulatorHandle } from "../../emulator";
import { createServiceClient } from "../../provider/core/transport";
import { DynamicProviderServer, type Props } from "../support/dynamicProvider";

const TPM_EK =
  "AToAAQALAAMAsgAgg3GXZ0SEs/gakMyNRqXXJP1S124GUgtk8qHaGzMUaaoABgCAAEMAEAgAAAAAAAEAxsj2gUScTk1UjuioeTlfGYZrrimExB+bScH75adUMRIi2UOMxG1kw4y+9RW/IVoMl4e620VxZad0ARX2gUqVjYO7KPVt3dyKhZS3dkcvfBisBhP1XH9B33VqHG9SHnbnQXdBUaCgKAfxome8UmBKfe+naTsE5fkvjb/do3/dD6l4sGBwFCnKRdln4XpM03zLpoHFao8zOwt8l/uP3qUIxmCYv9A7m69Ms+5/pCkTu/rK4mRDsfhZ0QLfbzVI6zQFOKF/rwsfBtFeWlWtcuJMKlXdD8TXWElTzgh7JS4qhFzreL0c1mI0GCj+Aws0usZh7dLIVPnlgZcBhgy1SSDQMQ==";
/** A real device certificate (base64 of its PEM), made in `before`: the emulator parses certificates. */
let CERT: string;
const KEY_A = Buffer.alloc(64, 1).toString("base64");
const KEY_B = Buffer.alloc(64, 2).toString("base64");
const KEY_C = Buffer.alloc(64, 3).toString("base64");

describe("IndividualEnrollment provider (gRPC server + emulator)", function () {
  this.timeout(60_000);
  let emu: EmulatorHandle;
  let server: DynamicProviderServer;
  let client: ProvisioningServiceClient;
  let connection: Props;
  let n = 0;
  const rid = (prefix: string) => `${prefix}-${++n}`;

  before(async () => {
    CERT = Buffer.from((await issueCertificate({ commonName: "x509-device" })).certificatePem).toString(
      "base64",
    );
    emu = await startEmulator();
    connection = {
      connectionString: emu.connectionString,
      endpoint: emu.endpoint,
      caCertificate: emu.caCertificate,
    };
    server = await DynamicProviderServer.start();
    client = createServiceClient({
      connectionString: emu.connectionString,
      endpoint: emu.endpoint,
      caCertificate: emu.caCertificate,
    });
  });
  after(async () => {
    await server?.stop();
    await emu?.stop();
  });

  /** Check then create, as the engine does; returns id, checked inputs and outputs. */
  async function create(news: Props) {
    const checked = await server.check({}, news);
    assert.deepEqual(checked.failures, []);
    const created = await server.create(checked.inputs);
    return { ...created, inputs: checked.inputs };
  }

  /** Check, diff and (if changed) update, as the engine does. */
  async function apply(olds: Props, news: Props) {
    const checked = await server.check({}, news);
    assert.deepEqual(checked.failures, []);
    const diff = await server.diff(String(olds.registrationId), olds, checked.inputs);
    const outs =
      diff.changes === 2 && diff.replaces.length === 0
        ? await server.update(String(olds.registrationId), olds, checked.inputs)
        : olds;
    return { diff, outs, inputs: checked.inputs };
  }

  /** An out-of-band writer that does it right (reads the keys first, as the CLI does), then PUTs with the etag. */
  async function outOfBand(id: string, change: (e: Props) => void) {
    const current = (await client.getIndividualEnrollment(id)).responseBody as unknown as Props;
    if ((current.attestation as Props).type === "symmetricKey") {
      current.attestation = (await client.getIndividualEnrollmentAttestationMechanism(id)).responseBody;
    }
    change(current);
    await client.createOrUpdateIndividualEnrollment(current as never);
  }

  async function serviceKeys(id: string) {
    const res = await client.getIndividualEnrollmentAttestationMechanism(id);
    return res.responseBody.symmetricKey;
  }

  it("creates a symmetric-key enrollment with generated keys in one call and keeps them in the outputs", async () => {
    emu.resetStats();
    const registrationId = rid("sym");
    const { id, outs } = await create({ connection, registrationId, attestation: { type: "SymmetricKey" } });
    assert.equal(id, registrationId);
    assert.equal(emu.stats().total, 1, "one PUT, no read");
    const att = outs.attestation as Record<string, string>;
    assert.equal(att.type, "symmetricKey");
    assert.equal(Buffer.from(att.primaryKey, "base64").length, 64);
    const keys = await serviceKeys(registrationId);
    assert.equal(keys?.primaryKey, att.primaryKey);
    assert.equal(keys?.secondaryKey, att.secondaryKey);
    assert.equal(outs.provisioningStatus, "Enabled");
    assert.equal(outs.reprovisionPolicy, "reprovisionandmigratedata");
    assert.equal(outs.edgeEnabled, false);
    assert.ok(outs.etag && outs.createdDateTimeUtc && outs.lastUpdatedDateTimeUtc);
  });

  it("creates with given symmetric keys, a TPM, X.509 certificates and X.509 CA names", async () => {
    const sym = await create({
      connection,
      registrationId: rid("symk"),
      attestation: { type: "symmetricKey", primaryKey: KEY_A, secondaryKey: KEY_B },
    });
    assert.equal((await serviceKeys(String(sym.id)))?.primaryKey, KEY_A);

    const tpm = await create({
      connection,
      registrationId: rid("tpm"),
      attestation: { type: "TPM", endorsementKey: TPM_EK },
    });
    const tpmService = (await client.getIndividualEnrollment(tpm.id)).responseBody;
    assert.equal(tpmService.attestation.type, "tpm");
    assert.equal(tpmService.attestation.tpm?.endorsementKey, TPM_EK);
    assert.equal((tpm.outs.attestation as Props).endorsementKey, TPM_EK);

    const x509 = await create({
      connection,
      registrationId: rid("x509"),
      attestation: { type: "x509", primaryCertificate: CERT },
    });
    const x509Service = (await client.getIndividualEnrollment(x509.id)).responseBody;
    assert.equal(x509Service.attestation.type, "x509");
    assert.ok(
      x509Service.attestation.x509?.clientCertificates?.primary,
      "the device certificate is a client certificate",
    );
    assert.equal(
      (x509.outs.attestation as Props).primaryCertificate,
      CERT,
      "the certificate is kept in state",
    );

    const ca = await create({
      connection,
      registrationId: rid("ca"),
      attestation: { type: "x509", primaryCaName: "rootca", secondaryCaName: "rootca2" },
    });
    const caService = (await client.getIndividualEnrollment(ca.id)).responseBody;
    assert.equal(caService.attestation.x509?.caReferences?.primary, "rootca");
    assert.equal(caService.attestation.x509?.caReferences?.secondary, "rootca2");
  });

  it("applies each Set parameter alone with one PUT and keeps everything else, keys included", async () => {
    const registrationId = rid("set");
    const base = { connection, registrationId, attestation: { type: "symmetricKey" } };
    let { outs } = await create({
      ...base,
      deviceId: "dev-1",
      tags: { env: "a" },
      optionalDeviceInformation: { site: "x" },
    });
    const keys = outs.attestation as Props;
    const steps: [string, Props, (e: Props) => void][] = [
      [
        "provisioningStatus",
        { provisioningStatus: "disabled" },
        (e) => assert.equal(e.provisioningStatus, "disabled"),
      ],
      ["deviceId", { deviceId: "dev-2" }, (e) => assert.equal(e.deviceId, "dev-2")],
      [
        "reprovisionPolicy",
        { reprovisionPolicy: "ReprovisionAndResetData" },
        (e) => assert.deepEqual(e.reprovisionPolicy, { updateHubAssignment: true, migrateDeviceData: false }),
      ],
      ["edgeEnabled", { edgeEnabled: true }, (e) => assert.equal((e.capabilities as Props).iotEdge, true)],
      [
        "tags",
        { tags: { environment: "updatedenv" } },
        (e) => assert.deepEqual((e.initialTwin as Props).tags, { environment: "updatedenv" }),
      ],
      [
        "desired",
        { desired: { version_dps: "updateddps" } },
        (e) =>
          assert.deepEqual(((e.initialTwin as Props).properties as Props).desired, {
            version_dps: "updateddps",
          }),
      ],
      [
        "allocationPolicy",
        { allocationPolicy: "hashed", iotHubs: [emu.linkedHubs[0], emu.linkedHubs[1]] },
        (e) => {
          assert.equal(e.allocationPolicy, "hashed");
          assert.deepEqual(e.iotHubs, emu.linkedHubs.slice(0, 2));
        },
      ],
      [
        "iotHubHostName",
        { iotHubHostName: emu.linkedHubs[0] },
        (e) => {
          assert.equal(e.iotHubHostName, emu.linkedHubs[0]);
          assert.ok(!e.allocationPolicy, "the legacy hub clears the policy");
        },
      ],
      [
        "custom",
        {
          allocationPolicy: "Custom",
          webhookUrl: "https://fn.example/api/alloc",
          apiVersion: "2021-10-01",
          iotHubs: [emu.linkedHubs[0]],
        },
        (e) => {
          assert.equal(e.allocationPolicy, "custom");
          assert.deepEqual(e.customAllocationDefinition, {
            webhookUrl: "https://fn.example/api/alloc",
            apiVersion: "2021-10-01",
          });
        },
      ],
    ];
    for (const [name, change, expect] of steps) {
      // Each step manages only its own parameter (plus the base); earlier ones become unmanaged and stay.
      const news = { ...base, ...change };
      emu.resetStats();
      const result = await apply(outs, news);
      assert.equal(result.diff.changes, 2, `${name}: a change`);
      assert.deepEqual(result.diff.replaces, [], `${name}: in place`);
      assert.equal(emu.stats().total, 1, `${name}: one PUT`);
      outs = result.outs;
      const e = (await client.getIndividualEnrollment(registrationId)).responseBody as unknown as Props;
      expect(e);
      assert.deepEqual(
        ((await client.getIndividualEnrollment(registrationId)).responseBody as unknown as Props)
          .optionalDeviceInformation,
        { site: "x" },
        `${name}: unmanaged kept`,
      );
      const k = await serviceKeys(registrationId);
      assert.equal(k?.primaryKey, keys.primaryKey, `${name}: primary key kept`);
      assert.equal(k?.secondaryKey, keys.secondaryKey, `${name}: secondary key kept`);
    }
    const final = (await client.getIndividualEnrollment(registrationId)).responseBody as unknown as Props;
    assert.equal(
      final.provisioningStatus,
      "disabled",
      "an earlier Set stays when the program stops managing it",
    );
    assert.deepEqual((final.initialTwin as Props).tags, { environment: "updatedenv" });
  });

  it("applies several Set parameters in one update (the cmdlet's examples 1 and 2 together)", async () => {
    const registrationId = rid("combo");
    const { outs } = await create({
      connection,
      registrationId,
      attestation: { type: "symmetricKey" },
      deviceId: "keep-me",
    });
    emu.resetStats();
    const result = await apply(outs, {
      connection,
      registrationId,
      attestation: { type: "symmetricKey" },
      allocationPolicy: "Hashed",
      iotHubs: emu.linkedHubs.slice(0, 2),
      tags: { environment: "updatedenv" },
      desired: { version_dps: "updateddps" },
    });
    assert.equal(emu.stats().total, 1);
    assert.equal(result.outs.allocationPolicy, "Hashed");
    assert.deepEqual(result.outs.tags, { environment: "updatedenv" });
    assert.equal(result.outs.deviceId, "keep-me");
    const second = await apply(result.outs, {
      connection,
      registrationId,
      attestation: { type: "symmetricKey" },
      allocationPolicy: "hashed",
      iotHubs: [...emu.linkedHubs.slice(0, 2)].reverse(),
      tags: { environment: "updatedenv" },
    });
    assert.equal(second.diff.changes, 1, "same values in another order or case: no change");
  });

  it("rotates given symmetric keys in place", async () => {
    const registrationId = rid("rot");
    const { outs } = await create({
      connection,
      registrationId,
      attestation: { type: "symmetricKey", primaryKey: KEY_A, secondaryKey: KEY_B },
    });
    const result = await apply(outs, {
      connection,
      registrationId,
      attestation: { type: "symmetricKey", primaryKey: KEY_B, secondaryKey: KEY_C },
    });
    assert.deepEqual(result.diff.replaces, []);
    assert.equal((await serviceKeys(registrationId))?.primaryKey, KEY_B);
  });

  it("replaces on a registrationId, attestation type or DPS change; deletes first only for the type", async () => {
    const registrationId = rid("repl");
    const { outs, inputs } = await create({
      connection,
      registrationId,
      attestation: { type: "symmetricKey" },
    });
    const byId = await server.diff(registrationId, outs, { ...inputs, registrationId: rid("other") });
    assert.deepEqual(byId.replaces, ["registrationId"]);
    assert.equal(byId.deleteBeforeReplace, false);
    const byType = await server.diff(registrationId, outs, {
      ...inputs,
      attestation: { type: "tpm", endorsementKey: TPM_EK },
    });
    assert.deepEqual(byType.replaces, ["attestation"]);
    assert.equal(byType.deleteBeforeReplace, true, "same id on the same DPS cannot exist twice");
    const other =
      "HostName=other.azure-devices-provisioning.net;SharedAccessKeyName=p;SharedAccessKey=" + KEY_A;
    const byHost = await server.diff(registrationId, outs, {
      ...inputs,
      connection: { connectionString: other },
    });
    assert.deepEqual(byHost.replaces, ["connection"]);
    emu.resetStats();
    const rotated = await apply(outs, {
      ...inputs,
      connection: { ...connection, caCertificate: emu.caCertificatePem },
    });
    assert.deepEqual(rotated.diff.replaces, [], "a new credential or CA for the same DPS is no replace");
    assert.equal(emu.stats().total, 1, "one read proves the new connection");
    assert.equal(emu.stats().operations.put, 0, "and nothing is written");
  });

  it("refresh sees out-of-band changes in one call, and the next diff shows them", async () => {
    const registrationId = rid("drift");
    const { outs, inputs } = await create({
      connection,
      registrationId,
      attestation: { type: "symmetricKey" },
      tags: { a: "1" },
      provisioningStatus: "Enabled",
    });
    emu.resetStats();
    const same = await server.read(registrationId, outs);
    assert.equal(emu.stats().total, 1, "refresh of an unchanged enrollment: one GET");
    assert.deepEqual(same.outs.attestation, outs.attestation);

    await outOfBand(registrationId, (e) => {
      e.provisioningStatus = "disabled";
      e.initialTwin = { tags: { a: "2" }, properties: { desired: {} } };
    });
    emu.resetStats();
    const refreshed = await server.read(registrationId, outs);
    assert.equal(refreshed.outs.provisioningStatus, "Disabled");
    assert.deepEqual(refreshed.outs.tags, { a: "2" });
    assert.equal((refreshed.outs.attestation as Props).primaryKey, (outs.attestation as Props).primaryKey);
    const diff = await server.diff(registrationId, refreshed.outs, inputs);
    assert.equal(diff.changes, 2);
    assert.deepEqual(diff.replaces, []);
    const fixed = await server.update(registrationId, refreshed.outs, inputs);
    assert.equal(fixed.provisioningStatus, "Enabled");
    assert.equal(
      (await client.getIndividualEnrollment(registrationId)).responseBody.provisioningStatus,
      "enabled",
    );
  });

  it("refresh shows the registrationState of a device that registered with the device SDK", async () => {
    const registrationId = rid("regstate");
    const { outs } = await create({ connection, registrationId, attestation: { type: "symmetricKey" } });
    assert.equal(outs.registrationState, undefined);
    const device = await registerDevice(emu, registrationId, {
      symmetricKey: (outs.attestation as Record<string, string>).primaryKey,
    });
    const refreshed = await server.read(registrationId, outs);
    const state = refreshed.outs.registrationState as Props;
    assert.equal(state.assignedHub, device.assignedHub);
    assert.equal(state.deviceId, registrationId);
    assert.equal(state.status, "assigned");
  });

  it("refresh picks up keys rotated out of band", async () => {
    const registrationId = rid("rotoob");
    const { outs } = await create({ connection, registrationId, attestation: { type: "symmetricKey" } });
    const current = (await client.getIndividualEnrollment(registrationId)).responseBody;
    current.attestation = { type: "symmetricKey", symmetricKey: { primaryKey: KEY_C, secondaryKey: KEY_A } };
    await client.createOrUpdateIndividualEnrollment(current);
    const refreshed = await server.read(registrationId, outs);
    assert.equal((refreshed.outs.attestation as Props).primaryKey, KEY_C);
  });

  it("a concurrent writer causes 412, the update re-reads, re-applies and keeps the other writer's fields", async () => {
    const registrationId = rid("race");
    const { outs } = await create({
      connection,
      registrationId,
      attestation: { type: "symmetricKey" },
      tags: { owner: "pulumi" },
    });
    await outOfBand(registrationId, (e) => {
      e.deviceId = "set-by-someone-else";
      e.optionalDeviceInformation = { rack: "7" };
    });
    emu.resetStats();
    const result = await apply(outs, {
      connection,
      registrationId,
      attestation: { type: "symmetricKey" },
      tags: { owner: "pulumi", v: "2" },
    });
    const stats = emu.stats();
    assert.equal(stats.responses["412"], 1, "the stale etag was refused");
    assert.equal(stats.operations.put, 2);
    const e = (await client.getIndividualEnrollment(registrationId)).responseBody as unknown as Props;
    assert.equal(e.deviceId, "set-by-someone-else");
    assert.deepEqual(e.optionalDeviceInformation, { rack: "7" });
    assert.deepEqual((e.initialTwin as Props).tags, { owner: "pulumi", v: "2" });
    assert.equal(result.outs.deviceId, "set-by-someone-else");
    assert.equal((await serviceKeys(registrationId))?.primaryKey, (outs.attestation as Props).primaryKey);
  });

  it("create of an existing enrollment fails naming adopt; adopt takes it over with Set semantics", async () => {
    const registrationId = rid("adopt");
    await client.createOrUpdateIndividualEnrollment({
      registrationId,
      attestation: { type: "symmetricKey", symmetricKey: { primaryKey: KEY_A, secondaryKey: KEY_B } },
      deviceId: "legacy",
    } as never);
    const news = {
      connection,
      registrationId,
      attestation: { type: "symmetricKey" },
      tags: { managed: "yes" },
    };
    const checked = await server.check({}, news);
    await assert.rejects(server.create(checked.inputs), /already exists.*adopt: true/s);
    assert.equal(
      (await client.getIndividualEnrollment(registrationId)).responseBody.deviceId,
      "legacy",
      "nothing changed",
    );

    const adopted = await create({ ...news, adopt: true });
    assert.equal(adopted.outs.deviceId, "legacy");
    assert.deepEqual(adopted.outs.tags, { managed: "yes" });
    assert.equal((adopted.outs.attestation as Props).primaryKey, KEY_A, "existing keys kept and known");
    assert.equal((await serviceKeys(registrationId))?.primaryKey, KEY_A);

    const wrongType = await server.check(
      {},
      { ...news, registrationId, attestation: { type: "tpm", endorsementKey: TPM_EK }, adopt: true },
    );
    await client.deleteIndividualEnrollment(registrationId);
    await client.createOrUpdateIndividualEnrollment({
      registrationId,
      attestation: { type: "symmetricKey", symmetricKey: { primaryKey: KEY_A, secondaryKey: KEY_B } },
    } as never);
    await assert.rejects(server.create(wrongType.inputs), /attestation type cannot change/);
  });

  it("a create interrupted after its PUT landed is completed by the next create, with no write", async () => {
    const registrationId = rid("interrupted");
    const news = { connection, registrationId, attestation: { type: "symmetricKey" }, tags: { v: "1" } };
    const first = await create(news); // the engine "dies" here: its state never records this
    emu.resetStats();
    const again = await create(news);
    assert.equal(again.id, registrationId);
    assert.equal(emu.stats().operations.put, 1, "only the refused PUT (409); nothing overwritten");
    assert.equal((again.outs.attestation as Props).primaryKey, (first.outs.attestation as Props).primaryKey);
    const differs = await server.check({}, { ...news, tags: { v: "2" } });
    await assert.rejects(server.create(differs.inputs), /already exists.*adopt: true/s);
  });

  it("reads an existing enrollment by id (IndividualEnrollment.get), keys included", async () => {
    const registrationId = rid("get");
    await client.createOrUpdateIndividualEnrollment({
      registrationId,
      attestation: { type: "symmetricKey", symmetricKey: { primaryKey: KEY_A, secondaryKey: KEY_B } },
      allocationPolicy: "static",
      iotHubs: [emu.linkedHubs[0]],
    } as never);
    const got = await server.read(registrationId, { connection, registrationId }, true);
    assert.equal(got.id, registrationId);
    assert.equal(got.outs.allocationPolicy, "Static");
    assert.equal((got.outs.attestation as Props).primaryKey, KEY_A);
    await assert.rejects(
      server.read("never-created", { connection, registrationId: "never-created" }, true),
      /Enrollment "never-created" does not exist in emulator\.azure-devices-provisioning\.net/,
      "a get of a missing enrollment fails instead of storing an empty resource",
    );
  });

  it("deletes, and deleting an enrollment that is already gone succeeds", async () => {
    const registrationId = rid("del");
    const { outs } = await create({ connection, registrationId, attestation: { type: "symmetricKey" } });
    await server.delete(registrationId, outs);
    await assert.rejects(client.getIndividualEnrollment(registrationId), /Not found|404/);
    await server.delete(registrationId, outs);
    const refreshed = await server.read(registrationId, outs);
    assert.equal(refreshed.id, "", "refresh reports it gone");
  });

  it("service errors reach the user with the DPS error code, message and tracking id", async () => {
    // A hub that is not linked passes check (the DPS's hubs are unknown here) and the service refuses it.
    const checked = await server.check(
      {},
      {
        connection,
        registrationId: rid("err"),
        attestation: { type: "symmetricKey" },
        allocationPolicy: "Static",
        iotHubs: ["nothere.azure-devices.net"],
      },
    );
    assert.deepEqual(checked.failures, []);
    await assert.rejects(server.create(checked.inputs), (e: Error) => {
      assert.match(e.message, /HTTP 400 error \d{6}/);
      assert.match(e.message, /trackingId/);
      return true;
    });
  });

  it("survives injected 500/503 answers and dropped connections", async () => {
    emu.setFaults({ rate500: 0.15, rate503: 0.1, dropRate: 0.05 });
    try {
      for (let i = 0; i < 5; i++) {
        const { id, outs } = await create({
          connection,
          registrationId: rid("flaky"),
          attestation: { type: "symmetricKey" },
        });
        assert.equal(id, outs.registrationId);
      }
    } finally {
      emu.setFaults({ rate500: 0, rate503: 0, dropRate: 0 });
    }
  });
});
