/**
 * The registration id a TPM device registers under when it is given none: what Microsoft's device
 * SDKs compute from the TPM's endorsement key (Node `azure-iot-security-tpm`, C `hsm_client_tpm`).
 */
import { createHash } from "node:crypto";

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const BASE32 = "abcdefghijklmnopqrstuvwxyz234567";

/** RFC 4648 base32 of `bytes`, lowercase, without padding. */
function base32(bytes: Buffer): string {
  let out = "";
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

/**
 * The registration id of a TPM from its endorsement key: SHA-256 of the key's bytes (the TPM2B_PUBLIC
 * the TPM reports, which is what an enrollment's `endorsementKey` holds in base64), in lowercase
 * RFC 4648 base32 without padding (52 characters). Enroll chips from a manufacturing list under this
 * id and their devices register with no id configured.
 * @param endorsementKey The endorsement key, base64, as given to `attestation.endorsementKey`.
 * @example
 * new IndividualEnrollment(`chip-${i}`, {
 *   registrationId: tpmRegistrationId(ek),
 *   attestation: { type: "tpm", endorsementKey: ek },
 * });
 */
export function tpmRegistrationId(endorsementKey: string): string {
  if (endorsementKey.length === 0 || !BASE64.test(endorsementKey)) {
    throw new Error(
      "tpmRegistrationId: endorsementKey must be the TPM's endorsement key in base64 (its TPM2B_PUBLIC, as the TPM reports it).",
    );
  }
  return base32(createHash("sha256").update(Buffer.from(endorsementKey, "base64")).digest());
}
