// TPM requests to the emulator's device API through raw HTTPS: the challenge's shape, and every
// malformed TPM input answered 400/401 with the service's error shape, nothing stored, no crash.
import assert from "node:assert/strict";
import type { ProvisioningServiceClient } from "azure-iot-provisioning-service";
import type { IndividualEnrollment } from "azure-iot-provisioning-service/dist/interfaces";
import type { EmulatorHandle } from "../../emulator";
import { TPM_EK } from "../support/tpm";
import { KEY_A, clientFor, expectDpsError, expectRawError, raw, start, type RawResponse } from "./helpers";

const EK = Buffer.from(TPM_EK, "base64");

/** TPM_EK with `edit` applied to a copy of its bytes (offsets of its TPM2B_PUBLIC). */
function edited(edit: (b: Buffer) => Buffer | void): string {
  const copy = Buffer.from(EK);
  return (edit(copy) ?? copy).toString("base64");
}

/** An ECC P-256 storage key's TPM2B_PUBLIC (restricted decryption, AES-128-CFB). */
function eccKey(): string {
  const area = Buffer.concat([
    Buffer.from("0023000b00030072" + "0000" + "000600800043" + "0010" + "0003" + "0010", "hex"),
    Buffer.from([0, 32]),
    Buffer.alloc(32, 7),
    Buffer.from([0, 32]),
    Buffer.alloc(32, 9),
  ]);
  return Buffer.concat([Buffer.from([area.length >> 8, area.length & 255]), area]).toString("base64");
}

describe("emulator: TPM device requests through raw HTTPS", function () {
  let emu: EmulatorHandle;
  let client: ProvisioningServiceClient;
  const ID = "tpm-raw-1";

  function register(body: unknown, authorization: string | null = null, id = ID): Promise<RawResponse> {
    return raw(emu, `/${emu.idScope}/registrations/${id}/register?api-version=2021-06-01`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      authorization,
    });
  }

  before(async () => {
    emu = await start();
    client = clientFor(emu);
    await client.createOrUpdateIndividualEnrollment({
      registrationId: ID,
      attestation: { type: "tpm", tpm: { endorsementKey: TPM_EK } },
    } as IndividualEnrollment);
    await client.createOrUpdateIndividualEnrollment({
      registrationId: "sym-raw-1",
      attestation: { type: "symmetricKey", symmetricKey: { primaryKey: KEY_A, secondaryKey: KEY_A } },
    } as IndividualEnrollment);
  });
  after(() => emu.stop());
  afterEach(async () => {
    // No refused request leaves a registration behind.
    await expectDpsError(client.getDeviceRegistrationState(ID), 404, 404202);
  });

  it("answers a well-formed first register with the challenge: 401, the activation blob and keyName", async () => {
    const res = await register({
      registrationId: ID,
      tpm: { endorsementKey: TPM_EK, storageRootKey: TPM_EK },
    });
    assert.equal(res.status, 401, res.text);
    const body = res.json() as { message: string; authenticationKey: string; keyName: string };
    assert.equal(body.keyName, "registration");
    assert.match(body.message, /activate the authentication key/);
    // Six TPM2B structures, in the order the SDKs read them, ending exactly at the end.
    const blob = Buffer.from(body.authenticationKey, "base64");
    const sizes: number[] = [];
    for (let at = 0; at < blob.length; at += 2 + sizes[sizes.length - 1]) sizes.push(blob.readUInt16BE(at));
    assert.equal(sizes.length, 6);
    assert.equal(
      sizes.reduce((a, b) => a + b + 2, 0),
      blob.length,
    );
    assert.equal(sizes[1], 256, "the credential's seed, RSA-2048-encrypted to the EK");
    assert.equal(sizes[3], 256, "the duplicate's seed, encrypted to the SRK");
    assert.equal(sizes[5], 0, "an empty TPM2B_DATA");
  });

  const malformed: [string, unknown, RegExp][] = [
    ["tpm is a string", "abc", /'tpm' must be an object/],
    ["tpm is null", null, /'tpm' must be an object/],
    ["tpm is an array", [TPM_EK], /'tpm' must be an object/],
    ["no endorsement key", { storageRootKey: TPM_EK }, /'tpm.endorsementKey' is required/],
    [
      "an endorsement key that is a number",
      { endorsementKey: 5, storageRootKey: TPM_EK },
      /'tpm.endorsementKey' is required/,
    ],
    [
      "an endorsement key not base64",
      { endorsementKey: "not base64!", storageRootKey: TPM_EK },
      /'tpm.endorsementKey' is not base64/,
    ],
    [
      "a TPM2B size that does not match",
      { endorsementKey: edited((b) => void b.writeUInt16BE(b.length - 12, 0)), storageRootKey: TPM_EK },
      /'tpm.endorsementKey' is not a TPM2B_PUBLIC: the TPM2B_PUBLIC size does not match/,
    ],
    [
      "a truncated public area",
      {
        endorsementKey: edited((b) => {
          const cut = b.subarray(0, 100);
          cut.writeUInt16BE(98, 0);
          return cut;
        }),
        storageRootKey: TPM_EK,
      },
      /'tpm.endorsementKey' is not a TPM2B_PUBLIC: it is truncated/,
    ],
    [
      "bytes after the public area",
      {
        endorsementKey: edited((b) => {
          const longer = Buffer.concat([b, Buffer.from([0])]);
          longer.writeUInt16BE(longer.length - 2, 0);
          return longer;
        }),
        storageRootKey: TPM_EK,
      },
      /bytes follow the public area/,
    ],
    [
      "an ECC endorsement key",
      { endorsementKey: eccKey(), storageRootKey: TPM_EK },
      /'tpm.endorsementKey' cannot receive the service's secrets: it is not an RSA key/,
    ],
    [
      "an endorsement key that is not a restricted decryption key",
      {
        endorsementKey: edited((b) => void b.writeUInt32BE(b.readUInt32BE(6) & ~(1 << 16), 6)),
        storageRootKey: TPM_EK,
      },
      /not a restricted decryption key/,
    ],
    [
      "a storage root key whose symmetric mode is not CFB",
      { endorsementKey: TPM_EK, storageRootKey: edited((b) => void b.writeUInt16BE(0x0040, 48)) },
      /'tpm.storageRootKey' cannot receive the service's secrets: its symmetric algorithm is not AES in CFB mode/,
    ],
    [
      "a storage root key with an even modulus",
      { endorsementKey: TPM_EK, storageRootKey: edited((b) => void (b[b.length - 1] &= 0xfe)) },
      /'tpm.storageRootKey' cannot receive the service's secrets: its RSA modulus is not an odd number/,
    ],
    ["no storage root key", { endorsementKey: TPM_EK }, /'tpm.storageRootKey' is required/],
  ];
  for (const [what, tpm, message] of malformed) {
    it(`400 for ${what}`, async () => {
      expectRawError(await register({ registrationId: ID, tpm }), 400, 400009, message);
    });
  }

  it("401 for a TPM body of an id with no enrollment, or of a symmetric-key enrollment", async () => {
    const tpm = { endorsementKey: TPM_EK, storageRootKey: TPM_EK };
    expectRawError(await register({ tpm }, null, "nobody-tpm"), 401, 401002, /no individual enrollment/);
    expectRawError(
      await register({ tpm }, null, "sym-raw-1"),
      401,
      401002,
      /uses symmetricKey attestation, not TPM/,
    );
  });

  it("401 for a TPM enrollment reached without 'tpm', with a malformed SAS, or with a SAS no issued key signed", async () => {
    expectRawError(await register({ registrationId: ID }), 401, 401002, /send 'tpm' to get a challenge/);
    const tpm = { endorsementKey: TPM_EK, storageRootKey: TPM_EK };
    expectRawError(
      await register({ tpm }, "SharedAccessSignature garbage"),
      401,
      401002,
      /Malformed SharedAccessSignature/,
    );
    const se = Math.floor(Date.now() / 1000) + 600;
    const sas = `SharedAccessSignature sr=${encodeURIComponent(`${emu.idScope}/registrations/${ID}`)}&sig=${encodeURIComponent(Buffer.alloc(32).toString("base64"))}&se=${se}&skn=registration`;
    expectRawError(
      await register({ tpm }, sas, "tpm-raw-1"),
      401,
      401002,
      /signature is invalid|no authentication key/,
    );
    const poll = await raw(emu, `/${emu.idScope}/registrations/${ID}/operations/x?api-version=2019-03-31`, {
      authorization: null,
    });
    expectRawError(poll, 401, 401002, /send 'tpm'/);
  });
});
