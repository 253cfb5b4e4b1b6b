// Issue 28's emulator probes through raw HTTPS: malformed storage root keys refused when written
// (never skipped later), an X.509 certificate whose dates do not parse refused as 400 with the
// service's shape, and a bulk call validated whole before anything is written; never a 500.
import assert from "node:assert/strict";
import forge from "node-forge";
import type { EmulatorHandle } from "../../emulator";
import { rsaKeys, serial, signCertificate } from "../../emulator/tls";
import { TPM_EK } from "../support/tpm";
import { expectRawError, raw, start, type RawResponse } from "./helpers";

const V = "api-version=2021-10-01";
const EK = Buffer.from(TPM_EK, "base64");

/** A self-signed certificate whose notBefore is the UTCTime `251341000000Z` (month 13), base64 DER. */
async function certificateWithBadDate(): Promise<string> {
  const keys = await rsaKeys();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serial();
  cert.validity.notBefore = new Date(Date.UTC(2025, 11, 1));
  cert.validity.notAfter = new Date(Date.UTC(2035, 11, 1));
  const subject = [{ name: "commonName", value: "bad-date-device" }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  signCertificate(cert, keys.privatePem);
  const der = Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes(), "binary");
  const at = der.indexOf("251201000000Z", 0, "latin1");
  assert.ok(at > 0, "the UTCTime is in the certificate");
  der.write("251341000000Z", at, "latin1");
  return der.toString("base64");
}

function tpmRecord(id: string, storageRootKey: string): object {
  return {
    registrationId: id,
    attestation: { type: "tpm", tpm: { endorsementKey: TPM_EK, storageRootKey } },
  };
}

describe("emulator: malformed keys, certificates and bulk bodies (issue 28)", function () {
  this.timeout(60_000);
  let emu: EmulatorHandle;
  before(async () => (emu = await start()));
  after(() => emu.stop());

  const put = (id: string, body: object): Promise<RawResponse> =>
    raw(emu, `/enrollments/${id}?${V}`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  const stored = async (id: string): Promise<number> => (await raw(emu, `/enrollments/${id}?${V}`)).status;

  const truncated = (() => {
    const cut = Buffer.from(EK.subarray(0, 100));
    cut.writeUInt16BE(98, 0);
    return cut.toString("base64");
  })();
  const keyedHash = (() => {
    const copy = Buffer.from(EK);
    copy.writeUInt16BE(0x0008, 2); // TPM_ALG_KEYEDHASH
    return copy.toString("base64");
  })();
  const notStorage = (() => {
    const copy = Buffer.from(EK);
    copy.writeUInt32BE(copy.readUInt32BE(6) & ~(1 << 16), 6); // decrypt cleared
    return copy.toString("base64");
  })();
  const srks: [string, string][] = [
    ["truncated", truncated],
    ["a keyedHash object", keyedHash],
    ["one byte", "AA=="],
    ["100 KB", Buffer.alloc(100 * 1024, 1).toString("base64")],
    ["not base64", "not base64!"],
    ["line-wrapped", TPM_EK.replace(/(.{64})/g, "$1\n")],
    ["not a storage key", notStorage],
  ];
  for (const [what, srk] of srks) {
    it(`a storage root key that is ${what} is refused with 400 and not stored`, async () => {
      const id = `srk-${what.replace(/[^a-z0-9]/gi, "")}`.toLowerCase();
      expectRawError(
        await put(id, tpmRecord(id, srk)),
        400,
        400004,
        /'attestation.tpm.storageRootKey' is not a valid TPM storage root key/,
      );
      assert.equal(await stored(id), 404);
    });
  }

  it("a well-formed storage root key is stored", async () => {
    assert.equal((await put("srk-ok", tpmRecord("srk-ok", TPM_EK))).status, 200);
  });

  it("a certificate whose notBefore does not parse: 400 for a PUT, one item error in a bulk call, no 500, nothing half-written", async () => {
    const bad = await certificateWithBadDate();
    const x509 = (id: string, cert: string) => ({
      registrationId: id,
      attestation: { type: "x509", x509: { clientCertificates: { primary: { certificate: cert } } } },
    });
    expectRawError(
      await put("cert-bad", x509("cert-bad", bad)),
      400,
      400004,
      /validity date .* is not a valid time/,
    );
    assert.equal(await stored("cert-bad"), 404);
    const sym = (id: string) => ({ registrationId: id, attestation: { type: "symmetricKey" } });
    const res = await raw(emu, `/enrollments?${V}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        mode: "create",
        enrollments: [sym("bulk-1"), x509("bulk-2", bad), sym("bulk-3")],
      }),
    });
    assert.equal(res.status, 200, res.text);
    const result = res.json() as {
      isSuccessful: boolean;
      errors: { registrationId: string; errorCode: number }[];
    };
    assert.equal(result.isSuccessful, false);
    assert.deepEqual(
      result.errors.map((e) => [e.registrationId, e.errorCode]),
      [["bulk-2", 400004]],
    );
    assert.deepEqual(
      [await stored("bulk-1"), await stored("bulk-2"), await stored("bulk-3")],
      [200, 404, 200],
    );
  });
});
