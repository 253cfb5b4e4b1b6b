// TPM devices register against the emulator with Microsoft's device SDK (azure-iot-security-tpm over
// the HTTP transport) and a real TPM 2.0 (swtpm): the service's challenge, the TPM-signed SAS,
// allocation, registration states, and the refusals. One chip at a time (tss.js uses a fixed port).
import assert from "node:assert/strict";
import { createHmac, randomBytes } from "node:crypto";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import type { ProvisioningServiceClient } from "azure-iot-provisioning-service";
import type { IndividualEnrollment } from "azure-iot-provisioning-service/dist/interfaces";
import { TpmSecurityClient } from "azure-iot-security-tpm";
import type { EmulatorHandle } from "../../emulator";
import { tpmRegistrationId } from "../../provider";
import { createTlsMaterial } from "../../emulator/tls";
import { closeTpm, registerTpm } from "../support/devices";
import { requireSwtpm, startChip, type Chip } from "../support/swtpm";
import { TPM_EK } from "../support/tpm";
import { activateOnChip } from "../support/tpmActivate";
import { clientFor, expectDpsError, expectRawError, raw, start, type RawResponse } from "./helpers";

const HUBS = ["hub1.azure-devices.net", "hub2.azure-devices.net", "hub3.azure-devices.net"];

/** What the SDK reads from the chip: endorsement key, storage root key (base64) and registration id. */
interface ChipIdentity {
  endorsementKey: string;
  storageRootKey: string;
  registrationId: string;
}

function call<T>(fn: (cb: (err: Error | null, value?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value as T))));
}

/** What the SDK reads from the running chip, through a security client it then closes. */
async function identityOf(): Promise<ChipIdentity> {
  const security = new TpmSecurityClient();
  try {
    const ek = await call<Buffer>((cb) => security.getEndorsementKey(cb));
    const srk = await call<Buffer>((cb) => security.getStorageRootKey(cb));
    const registrationId = await call<string>((cb) => security.getRegistrationId(cb));
    return { endorsementKey: ek.toString("base64"), storageRootKey: srk.toString("base64"), registrationId };
  } finally {
    closeTpm(security);
  }
}

function tpmEnrollment(
  id: ChipIdentity,
  extra: object = {},
  registrationId = id.registrationId,
): IndividualEnrollment {
  return {
    registrationId,
    attestation: { type: "tpm", tpm: { endorsementKey: id.endorsementKey } },
    ...extra,
  } as IndividualEnrollment;
}

/**
 * Asserts the emulator refuses the chip's first register (its challenge request) with the service's
 * 401 and `message`, and that the SDK fails on it: a 401 without an activation blob is, to the SDK,
 * a malformed challenge.
 */
async function refusedChallenge(emu: EmulatorHandle, id: ChipIdentity, message: RegExp): Promise<void> {
  const res = await requestChallenge(emu, id);
  expectRawError(res, 401, 401002, message);
  assert.equal((res.json() as { authenticationKey?: string }).authenticationKey, undefined);
  await assert.rejects(registerTpm(emu), (err: Error) => {
    assert.equal(err.name, "FormatError", err.message);
    return true;
  });
}

/** The first register of a TPM device (its keys, no Authorization), through raw HTTPS. */
function requestChallenge(emu: EmulatorHandle, id: ChipIdentity): Promise<RawResponse> {
  return raw(emu, `/${emu.idScope}/registrations/${id.registrationId}/register?api-version=2019-03-31`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      registrationId: id.registrationId,
      tpm: { endorsementKey: id.endorsementKey, storageRootKey: id.storageRootKey },
    }),
    authorization: null,
  });
}

/** The activation blob the emulator's challenge carries for `id`'s keys. */
async function challengeBlob(emu: EmulatorHandle, id: ChipIdentity): Promise<Buffer> {
  const res = await requestChallenge(emu, id);
  assert.equal(res.status, 401, res.text);
  return Buffer.from((res.json() as { authenticationKey: string }).authenticationKey, "base64");
}

/** Asserts the SDK's TPM registration fails with the service's 401 and a message matching `message`. */
async function refusedTpm(promise: Promise<unknown>, message: RegExp): Promise<void> {
  await assert.rejects(promise, (err: Error & { response?: { statusCode?: number } }) => {
    assert.equal(err.response?.statusCode, 401, err.message);
    assert.match(err.message, /"errorCode":401002/);
    assert.match(err.message, message);
    return true;
  });
}

describe("emulator: TPM devices register with the device SDK and a software TPM", function () {
  this.timeout(120_000);
  let emu: EmulatorHandle;
  let client: ProvisioningServiceClient;
  let chip: Chip | undefined;
  let webhook: Server | undefined;
  const seen: Record<string, unknown>[] = [];

  before(async function () {
    requireSwtpm(this);
    const tls = await createTlsMaterial();
    webhook = createServer({ key: tls.privateKeyPem, cert: tls.certificatePem }, (req, res) => {
      let text = "";
      req.on("data", (c: Buffer) => (text += c.toString()));
      req.on("end", () => {
        seen.push(JSON.parse(text) as Record<string, unknown>);
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ iotHubHostName: HUBS[1], payload: { role: "gateway" } }));
      });
    });
    await new Promise<void>((ok) => webhook?.listen(0, "127.0.0.1", ok));
    emu = await start({ linkedHubs: HUBS, webhookCas: [tls.caCertificatePem] });
    client = clientFor(emu);
  });
  after(async () => {
    await chip?.stop();
    await emu?.stop();
    await new Promise<void>((done) => (webhook ? webhook.close(() => done()) : done()));
  });
  afterEach(async () => {
    await chip?.stop();
    chip = undefined;
  });

  it("provisions: the SDK's registration id, the challenge, the TPM-signed SAS, the enrollment's hub and deviceId; a fresh client registers again", async () => {
    chip = await startChip();
    const id = await identityOf();
    assert.match(id.registrationId, /^[a-z2-7]{52}$/);
    assert.equal(tpmRegistrationId(id.endorsementKey), id.registrationId);
    await client.createOrUpdateIndividualEnrollment(
      tpmEnrollment(id, { deviceId: "tpm-gateway", allocationPolicy: "static", iotHubs: [HUBS[2]] }),
    );
    const first = await registerTpm(emu);
    assert.equal(first.status, "assigned");
    assert.equal(first.assignedHub, HUBS[2]);
    assert.equal(first.deviceId, "tpm-gateway");
    assert.equal(first.registrationId, id.registrationId);
    assert.match(first.tpm?.authenticationKey ?? "", /^[A-Za-z0-9+/]{400,}={0,2}$/);
    const again = await registerTpm(emu);
    assert.equal(again.status, "assigned");
    assert.equal(again.assignedHub, HUBS[2]);
    assert.equal(again.createdDateTimeUtc, first.createdDateTimeUtc);
    const state = (await client.getDeviceRegistrationState(id.registrationId)).responseBody;
    assert.equal(state.status, "assigned");
    assert.equal(state.assignedHub, HUBS[2]);
    assert.equal(state.deviceId, "tpm-gateway");
  });

  it("allocates by each policy: hashed (stable), geoLatency, custom (the webhook sees a TPM device), static with reprovisioning", async () => {
    chip = await startChip();
    const id = await identityOf();
    const rid = id.registrationId;
    await client.createOrUpdateIndividualEnrollment(
      tpmEnrollment(id, { allocationPolicy: "hashed", iotHubs: HUBS }),
    );
    const hashed = await registerTpm(emu);
    assert.ok(HUBS.includes(hashed.assignedHub as string));
    assert.equal((await registerTpm(emu)).assignedHub, hashed.assignedHub);

    let enrollment = (await client.getIndividualEnrollment(rid)).responseBody;
    enrollment.allocationPolicy = "geoLatency";
    enrollment.iotHubs = [HUBS[0]];
    await client.createOrUpdateIndividualEnrollment(enrollment);
    assert.equal((await registerTpm(emu)).assignedHub, HUBS[0]);

    const { port } = webhook?.address() as AddressInfo;
    enrollment = (await client.getIndividualEnrollment(rid)).responseBody;
    enrollment.allocationPolicy = "custom";
    delete (enrollment as { iotHubs?: string[] }).iotHubs;
    enrollment.customAllocationDefinition = {
      webhookUrl: `https://127.0.0.1:${port}/api/allocate`,
      apiVersion: "2021-10-01",
    };
    await client.createOrUpdateIndividualEnrollment(enrollment);
    const custom = await registerTpm(emu, { payload: { model: "gateway-7" } });
    assert.equal(custom.assignedHub, HUBS[1]);
    assert.deepEqual(custom.payload, { role: "gateway" });
    const body = seen.at(-1) as {
      deviceRuntimeContext: object;
      individualEnrollment: { attestation: object };
    };
    assert.deepEqual(body.deviceRuntimeContext, {
      registrationId: rid,
      tpm: {},
      payload: { model: "gateway-7" },
      currentIotHubHostName: HUBS[0],
      currentDeviceId: rid,
    });
    assert.equal((body.individualEnrollment.attestation as { type: string }).type, "tpm");

    enrollment = (await client.getIndividualEnrollment(rid)).responseBody;
    enrollment.allocationPolicy = "static";
    enrollment.customAllocationDefinition = undefined;
    enrollment.iotHubs = [HUBS[2]];
    enrollment.reprovisionPolicy = { updateHubAssignment: false, migrateDeviceData: false };
    await client.createOrUpdateIndividualEnrollment(enrollment);
    const kept = await registerTpm(emu);
    assert.equal(kept.assignedHub, HUBS[1], "updateHubAssignment false keeps the device where it is");
    enrollment = (await client.getIndividualEnrollment(rid)).responseBody;
    enrollment.reprovisionPolicy = { updateHubAssignment: true, migrateDeviceData: true };
    await client.createOrUpdateIndividualEnrollment(enrollment);
    const moved = await registerTpm(emu);
    assert.equal(moved.assignedHub, HUBS[2]);
    assert.equal(moved.substatus, "deviceDataMigrated");
  });

  it("registration state: read, deleted, and the chip registers again as a first assignment; the same SDK client registers twice", async () => {
    chip = await startChip();
    const id = await identityOf();
    // The enrollment holds the storage root key too: the same chip's is accepted.
    await client.createOrUpdateIndividualEnrollment({
      registrationId: id.registrationId,
      attestation: {
        type: "tpm",
        tpm: { endorsementKey: id.endorsementKey, storageRootKey: id.storageRootKey },
      },
      iotHubs: [HUBS[0]],
      allocationPolicy: "static",
    } as IndividualEnrollment);
    const first = await registerTpm(emu);
    const state = (await client.getDeviceRegistrationState(id.registrationId)).responseBody;
    assert.equal(state.registrationId, id.registrationId);
    assert.equal(state.createdDateTimeUtc, first.createdDateTimeUtc);
    await client.deleteDeviceRegistrationState(id.registrationId);
    await expectDpsError(client.getDeviceRegistrationState(id.registrationId), 404, 404202);
    await new Promise((r) => setTimeout(r, 20));
    const again = await registerTpm(emu);
    assert.equal(again.status, "assigned");
    assert.equal(again.substatus, "initialAssignment");
    assert.notEqual(again.createdDateTimeUtc, first.createdDateTimeUtc);

    // One SDK client registering twice: its second register starts with the SAS of the first, and
    // gets a new challenge (a key admits one register request).
    const security = new TpmSecurityClient();
    try {
      assert.equal((await registerTpm(emu, { security })).status, "assigned");
      assert.equal((await registerTpm(emu, { security })).status, "assigned");
    } finally {
      closeTpm(security);
    }
  });

  it("refuses: an endorsement key not enrolled, an id with no enrollment, another storage root key, a disabled enrollment; nothing is stored", async () => {
    chip = await startChip();
    const id = await identityOf();
    const other = TPM_EK;
    await refusedChallenge(emu, id, /no individual enrollment has the registration id/);
    await client.createOrUpdateIndividualEnrollment(tpmEnrollment({ ...id, endorsementKey: other }));
    await refusedChallenge(emu, id, /endorsement key presented is not the one enrolled/);
    await client.createOrUpdateIndividualEnrollment({
      registrationId: id.registrationId,
      attestation: { type: "tpm", tpm: { endorsementKey: id.endorsementKey, storageRootKey: other } },
      etag: "*",
    } as IndividualEnrollment);
    await refusedChallenge(emu, id, /storage root key presented is not the one enrolled/);
    await client.createOrUpdateIndividualEnrollment(
      tpmEnrollment(id, { provisioningStatus: "disabled", etag: "*" }),
    );
    await refusedTpm(registerTpm(emu), /is disabled/);
    await expectDpsError(client.getDeviceRegistrationState(id.registrationId), 404, 404202);
  });

  it("refuses another chip presenting the enrolled id and endorsement key: its TPM cannot activate the credential, and a SAS signed otherwise does not verify", async () => {
    chip = await startChip();
    const enrolled = await identityOf();
    await client.createOrUpdateIndividualEnrollment(tpmEnrollment(enrolled));
    // The enrolled chip activates the credential of its challenge (TPM2_ActivateCredential).
    assert.equal(await activateOnChip(await challengeBlob(emu, enrolled)), "SUCCESS");
    await chip.stop();
    chip = await startChip();
    const chipB = await identityOf();
    // Another chip presenting the enrolled endorsement key (public) with its own storage root key
    // gets a challenge, but its TPM cannot activate the credential: only the enrolled EK decrypts it.
    const other = await activateOnChip(
      await challengeBlob(emu, { ...enrolled, storageRootKey: chipB.storageRootKey }),
    );
    assert.notEqual(other, "SUCCESS");
    // So it can only sign with a key of its own.
    const forger = Object.assign(Object.create(TpmSecurityClient.prototype) as TpmSecurityClient, {
      getEndorsementKey: (cb: (err: Error | null, ek?: Buffer) => void) =>
        cb(null, Buffer.from(enrolled.endorsementKey, "base64")),
      getRegistrationId: (cb: (err: Error | null, id?: string) => void) => cb(null, enrolled.registrationId),
      getStorageRootKey: (cb: (err: Error | null, srk?: Buffer) => void) =>
        cb(null, Buffer.from(chipB.storageRootKey, "base64")),
      activateIdentityKey: (_key: Buffer, cb: (err: Error | null) => void) => cb(null),
      signWithIdentity: (data: Buffer, cb: (err: Error | null, sig?: Buffer) => void) =>
        cb(null, createHmac("sha256", randomBytes(32)).update(data).digest()),
    });
    await refusedTpm(registerTpm(emu, { security: forger }), /signature is invalid/);
    await expectDpsError(client.getDeviceRegistrationState(enrolled.registrationId), 404, 404202);
  });

  it("a challenge key admits nobody once its enrollment is gone: not after the id is enrolled for another chip, nor after it is deleted and enrolled again", async () => {
    chip = await startChip();
    const chipA = { ...(await identityOf()), registrationId: "tpm-decommissioned" };
    await client.createOrUpdateIndividualEnrollment(tpmEnrollment(chipA));
    // Chip A receives its key (activated in the chip) and can sign with it.
    const security = new TpmSecurityClient();
    try {
      const blob = await challengeBlob(emu, chipA);
      await call<void>((cb) => security.activateIdentityKey(blob, (err) => cb(err ?? null)));
      /** A register request signed with chip A's key, without `tpm` (so no endorsement key to compare). */
      const signedRegister = async (): Promise<RawResponse> => {
        const se = Math.floor(Date.now() / 1000) + 3600;
        const sr = encodeURIComponent(`${emu.idScope}/registrations/${chipA.registrationId}`);
        const sig = await call<Buffer>((cb) => security.signWithIdentity(Buffer.from(`${sr}\n${se}`), cb));
        return raw(
          emu,
          `/${emu.idScope}/registrations/${chipA.registrationId}/register?api-version=2019-03-31`,
          {
            method: "PUT",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ registrationId: chipA.registrationId }),
            authorization: `SharedAccessSignature sr=${sr}&sig=${encodeURIComponent(sig.toString("base64"))}&se=${se}&skn=registration`,
          },
        );
      };
      // Decommissioned: the enrollment is deleted and the id enrolled for chip B.
      await client.deleteIndividualEnrollment(chipA.registrationId);
      await client.createOrUpdateIndividualEnrollment(tpmEnrollment({ ...chipA, endorsementKey: TPM_EK }));
      expectRawError(await signedRegister(), 401, 401002, /no authentication key is held/);
      // Deleted and enrolled again for chip A: a new enrollment, which issues its own keys.
      await client.deleteIndividualEnrollment(chipA.registrationId);
      await client.createOrUpdateIndividualEnrollment(tpmEnrollment(chipA));
      expectRawError(await signedRegister(), 401, 401002, /no authentication key is held/);
      await expectDpsError(client.getDeviceRegistrationState(chipA.registrationId), 404, 404202);
    } finally {
      closeTpm(security);
    }
  });
});
