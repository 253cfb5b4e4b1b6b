// The registration id helper computes what Microsoft's TPM device client computes from the same
// endorsement key (its own formula, reached through getRegistrationId).
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { TpmSecurityClient } from "azure-iot-security-tpm";
import { tpmRegistrationId } from "../../provider";
import { TPM_EK } from "../support/tpm";

/** The id the SDK computes for `ek` (its TPM read replaced by `ek`; no TPM is opened). */
function sdkRegistrationId(ek: Buffer): Promise<string> {
  const security = new TpmSecurityClient();
  security.getEndorsementKey = (cb) => cb(null as unknown as Error, ek);
  return new Promise((resolve, reject) =>
    security.getRegistrationId((err, id) => (err ? reject(err) : resolve(id as string))),
  );
}

describe("tpmRegistrationId", () => {
  it("is what the device SDK computes: lowercase base32 of SHA-256 of the key, no padding", async () => {
    const id = tpmRegistrationId(TPM_EK);
    assert.match(id, /^[a-z2-7]{52}$/);
    assert.equal(id, await sdkRegistrationId(Buffer.from(TPM_EK, "base64")));
    for (let size = 1; size < 40; size += 7) {
      const bytes = randomBytes(size);
      assert.equal(tpmRegistrationId(bytes.toString("base64")), await sdkRegistrationId(bytes));
    }
  });

  it("refuses what is not base64, naming the argument", () => {
    assert.throws(() => tpmRegistrationId(""), /endorsementKey must be the TPM's endorsement key in base64/);
    assert.throws(() => tpmRegistrationId("not base64!"), /endorsementKey must be/);
  });
});
