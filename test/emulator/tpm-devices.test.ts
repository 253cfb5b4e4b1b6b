// TPM devices register against the emulator with Microsoft's device SDK (azure-iot-security-tpm over
// the HTTP transport) and a real TPM 2.0 (swtpm): the service's challenge, the TPM-signed SAS,
// allocation, registration states, and the refusals. One chip at a time (tss.js uses a fixed port).
import assert from "node:assert/strict";
import type { ProvisioningServiceClient } from "azure-iot-provisioning-service";
import type { IndividualEnrollment } from "azure-iot-provisioning-service/dist/interfaces";
import { TpmSecurityClient } from "azure-iot-security-tpm";
import type { EmulatorHandle } from "../../emulator";
import { closeTpm, registerTpm } from "../support/devices";
import { requireSwtpm, startChip, type Chip } from "../support/swtpm";
import { clientFor, start } from "./helpers";

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

function tpmEnrollment(id: ChipIdentity, extra: object = {}, registrationId = id.registrationId): IndividualEnrollment {
  return {
    registrationId,
    attestation: { type: "tpm", tpm: { endorsementKey: id.endorsementKey } },
    ...extra,
  } as IndividualEnrollment;
}

/** Asserts the SDK's TPM registration fails with the service's 401 and a message matching `message`. */
async function refusedTpm(promise: Promise<unknown>, message: RegExp): Promise<void> {
  await assert.rejects(promise, (err: Error & { response?: { statusCode?: number } }) => {
    assert.equal(err.response?.statusCode, 401, err.message);
    assert.match(err.message, message);
    return true;
  });
}

describe("emulator: TPM devices register with the device SDK and a software TPM", function () {
  this.timeout(120_000);
  let emu: EmulatorHandle;
  let client: ProvisioningServiceClient;
  let chip: Chip | undefined;

  before(async function () {
    requireSwtpm(this);
    emu = await start({ linkedHubs: HUBS });
    client = clientFor(emu);
  });
  after(async () => {
    await chip?.stop();
    await emu?.stop();
  });
  afterEach(async () => {
    await chip?.stop();
    chip = undefined;
  });

  it("provisions: the SDK's registration id, the challenge, the TPM-signed SAS, the enrollment's hub and deviceId; a fresh client registers again", async () => {
    chip = await startChip();
    const id = await identityOf();
    assert.match(id.registrationId, /^[a-z2-7]{52}$/);
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
});
