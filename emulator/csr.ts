// PKCS#10 certificate signing requests as devices send them in `csr` (base64 DER): parsed with
// node-forge's ASN.1 reader, the key and signature checked with node's crypto (RSA, EC and Ed25519
// keys; forge's own CSR reader knows RSA only).
import { createPublicKey, verify, type KeyObject } from "node:crypto";
import forge from "node-forge";

/** A request whose signature verified. */
export interface CertificationRequest {
  /** The subject's common name, if any. */
  commonName: string | undefined;
  /** The requested public key. */
  publicKey: KeyObject;
  /** The SubjectPublicKeyInfo, as it goes into the certificate. */
  subjectPublicKeyInfo: forge.asn1.Asn1;
}

/** Digest of each accepted signature algorithm (null: the key type decides, as for Ed25519). */
const SIGNATURE_DIGESTS: Record<string, string | null> = {
  "1.2.840.113549.1.1.11": "sha256", // sha256WithRSAEncryption
  "1.2.840.113549.1.1.12": "sha384",
  "1.2.840.113549.1.1.13": "sha512",
  "1.2.840.10045.4.3.2": "sha256", // ecdsa-with-SHA256
  "1.2.840.10045.4.3.3": "sha384",
  "1.2.840.10045.4.3.4": "sha512",
  "1.3.101.112": null, // Ed25519
};

const COMMON_NAME = "2.5.4.3";

/** Smallest RSA key certified: 2048 bits (NIST SP 800-57 Part 1; smaller keys are breakable). */
export const MIN_RSA_BITS = 2048;
/** The elliptic curves certified: NIST P-256, P-384 and P-521 (what X.509 device certificates use). */
const CURVES = ["prime256v1", "secp384r1", "secp521r1"];

/** Throws saying what is weak about `key` (an RSA key under 2048 bits, another curve). */
function checkStrength(key: KeyObject): void {
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === "rsa" || key.asymmetricKeyType === "rsa-pss") {
    const bits = details.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS) {
      throw new Error(`its RSA key has ${bits} bits; at least ${MIN_RSA_BITS} are required`);
    }
  } else if (key.asymmetricKeyType === "ec" && !CURVES.includes(details.namedCurve ?? "")) {
    throw new Error(
      `its EC key uses the curve ${details.namedCurve ?? "(unnamed)"}; use P-256, P-384 or P-521`,
    );
  }
}

/** forge's reader takes options at run time; its types declare only `strict`. */
const fromDer = forge.asn1.fromDer as unknown as (
  bytes: string,
  options: { strict: boolean; parseAllBytes: boolean; decodeBitStrings: boolean },
) => forge.asn1.Asn1;

function children(node: forge.asn1.Asn1 | undefined, what: string): forge.asn1.Asn1[] {
  if (!node || !Array.isArray(node.value)) throw new Error(`${what} is not an ASN.1 sequence`);
  return node.value;
}

function bytesOf(node: forge.asn1.Asn1): Buffer {
  if (typeof node.value !== "string") throw new Error("expected a primitive ASN.1 value");
  return Buffer.from(node.value, "binary");
}

function commonNameOf(subject: forge.asn1.Asn1): string | undefined {
  for (const set of children(subject, "the subject")) {
    for (const attr of children(set, "a subject attribute")) {
      const [oid, value] = children(attr, "a subject attribute");
      if (forge.asn1.derToOid(bytesOf(oid).toString("binary")) !== COMMON_NAME) continue;
      return forge.util.decodeUtf8(bytesOf(value).toString("binary"));
    }
  }
  return undefined;
}

/**
 * Parses a base64 DER PKCS#10 request and verifies its self-signature.
 *
 * @throws Error saying what is wrong (not base64 DER, not PKCS#10, unsupported algorithm, bad signature).
 */
export function parseCsr(base64: string): CertificationRequest {
  const der = Buffer.from(base64, "base64");
  if (der.length === 0 || der.toString("base64").replace(/=+$/, "") !== base64.trim().replace(/=+$/, "")) {
    throw new Error("it is not base64 (send the DER bytes base64-encoded, without PEM headers)");
  }
  let root: forge.asn1.Asn1;
  try {
    root = fromDer(der.toString("binary"), { strict: true, parseAllBytes: true, decodeBitStrings: false });
  } catch (err) {
    throw new Error("it is not DER", { cause: err });
  }
  const [info, algorithm, signature] = children(root, "the request");
  const infoParts = children(info, "certificationRequestInfo");
  if (infoParts.length < 3) throw new Error("certificationRequestInfo is incomplete");
  const [, subject, spki] = infoParts;
  const algorithmOid = forge.asn1.derToOid(
    bytesOf(children(algorithm, "signatureAlgorithm")[0]).toString("binary"),
  );
  const digest = SIGNATURE_DIGESTS[algorithmOid];
  if (digest === undefined) {
    throw new Error(
      `its signature algorithm ${algorithmOid} is not supported (use SHA-256 or stronger with RSA, ECDSA or Ed25519)`,
    );
  }
  let publicKey: KeyObject;
  try {
    const spkiDer = Buffer.from(forge.asn1.toDer(spki).getBytes(), "binary");
    publicKey = createPublicKey({ key: spkiDer, format: "der", type: "spki" });
  } catch (err) {
    throw new Error("its public key cannot be read", { cause: err });
  }
  // A BIT STRING's first byte counts the unused bits of the last byte: 0 for signatures.
  const sig = bytesOf(signature).subarray(1);
  const signed = Buffer.from(forge.asn1.toDer(info).getBytes(), "binary");
  let valid: boolean;
  try {
    valid = verify(digest, signed, publicKey, sig);
  } catch {
    valid = false;
  }
  if (!valid) throw new Error("its signature does not verify with the public key it carries");
  checkStrength(publicKey);
  return { commonName: commonNameOf(subject), publicKey, subjectPublicKeyInfo: spki };
}
