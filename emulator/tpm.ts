// TPM 2.0 public areas as DPS takes them (TPM 2.0 Part 2: 12.2.4 TPMT_PUBLIC, 12.2.5 TPM2B_PUBLIC,
// 16 names): read field by field to their exact end, with the name the TPM computes for them.
import { createHash } from "node:crypto";

/** TPM_ALG_ID values (Part 2, 6.3) used here. */
export const TpmAlg = {
  rsa: 0x0001,
  sha1: 0x0004,
  hmac: 0x0005,
  aes: 0x0006,
  keyedHash: 0x0008,
  sha256: 0x000b,
  sha384: 0x000c,
  sha512: 0x000d,
  null: 0x0010,
  ecc: 0x0023,
  cfb: 0x0043,
} as const;

/** Node's name and the digest size of each TPM hash algorithm a name may use. */
export const TPM_HASHES: ReadonlyMap<number, { node: string; size: number }> = new Map([
  [TpmAlg.sha1, { node: "sha1", size: 20 }],
  [TpmAlg.sha256, { node: "sha256", size: 32 }],
  [TpmAlg.sha384, { node: "sha384", size: 48 }],
  [TpmAlg.sha512, { node: "sha512", size: 64 }],
]);

/** TPMA_OBJECT bits (Part 2, 8.3) the emulator reads or sets. */
export const TpmaObject = {
  fixedTPM: 1 << 1,
  fixedParent: 1 << 4,
  sensitiveDataOrigin: 1 << 5,
  userWithAuth: 1 << 6,
  restricted: 1 << 16,
  decrypt: 1 << 17,
  sign: 1 << 18,
} as const;

/** Reads big-endian fields; throws a RangeError past the end. */
export class TpmReader {
  private at = 0;
  constructor(private readonly bytes: Buffer) {}
  u16(): number {
    const v = this.bytes.readUInt16BE(this.at);
    this.at += 2;
    return v;
  }
  u32(): number {
    const v = this.bytes.readUInt32BE(this.at);
    this.at += 4;
    return v;
  }
  /** A TPM2B: 16-bit size, then that many bytes. */
  sized(): Buffer {
    const size = this.u16();
    if (this.at + size > this.bytes.length) throw new RangeError("size past the end");
    const v = this.bytes.subarray(this.at, this.at + size);
    this.at += size;
    return v;
  }
  get done(): boolean {
    return this.at === this.bytes.length;
  }
}

/** A TPMT_SYM_DEF_OBJECT other than TPM_ALG_NULL. */
export interface TpmSymmetric {
  algorithm: number;
  keyBits: number;
  mode: number;
}

/** The fields of an RSA or ECC TPMT_PUBLIC the emulator uses. */
export interface TpmPublic {
  /** TPM_ALG_RSA or TPM_ALG_ECC. */
  type: number;
  nameAlg: number;
  /** TPMA_OBJECT. */
  attributes: number;
  /** The symmetric algorithm of a storage (parent) key; undefined when TPM_ALG_NULL. */
  symmetric?: TpmSymmetric;
  /** RSA keys: modulus (big-endian) and exponent (0 in the structure means 65537). */
  rsa?: { modulus: Buffer; exponent: number };
  /** The marshalled TPMT_PUBLIC, which the name hashes. */
  area: Buffer;
}

/** Thrown by {@link parseTpmPublic} with the reason the bytes are not an accepted public area. */
export class TpmFormatError extends Error {}

/**
 * Parses a TPM2B_PUBLIC holding an RSA or ECC key with a SHA name algorithm and nothing after it.
 *
 * @throws TpmFormatError naming what is wrong.
 */
export function parseTpmPublic(bytes: Buffer): TpmPublic {
  try {
    const outer = new TpmReader(bytes);
    const area = outer.sized();
    if (!outer.done) throw new TpmFormatError("the TPM2B_PUBLIC size does not match its length");
    const r = new TpmReader(area);
    const type = r.u16();
    if (type !== TpmAlg.rsa && type !== TpmAlg.ecc)
      throw new TpmFormatError("the key type is neither RSA nor ECC");
    const nameAlg = r.u16();
    if (!TPM_HASHES.has(nameAlg)) throw new TpmFormatError("the name algorithm is not a SHA hash");
    const attributes = r.u32();
    r.sized(); // authPolicy
    let symmetric: TpmSymmetric | undefined;
    const symAlg = r.u16();
    if (symAlg !== TpmAlg.null) symmetric = { algorithm: symAlg, keyBits: r.u16(), mode: r.u16() };
    if (r.u16() !== TpmAlg.null) r.u16(); // scheme, and its hash unless NULL
    let rsa: TpmPublic["rsa"];
    if (type === TpmAlg.rsa) {
      const keyBits = r.u16();
      const exponent = r.u32();
      const modulus = r.sized();
      if (modulus.length * 8 !== keyBits)
        throw new TpmFormatError("the RSA modulus does not have the declared size");
      rsa = { modulus, exponent: exponent === 0 ? 65537 : exponent };
    } else {
      r.u16(); // curveID
      if (r.u16() !== TpmAlg.null) r.u16(); // kdf scheme and its hash
      if (r.sized().length === 0 || r.sized().length === 0)
        throw new TpmFormatError("the ECC point is empty");
    }
    if (!r.done) throw new TpmFormatError("bytes follow the public area");
    return { type, nameAlg, attributes, symmetric, rsa, area };
  } catch (err) {
    if (err instanceof TpmFormatError) throw err;
    throw new TpmFormatError("it is truncated");
  }
}

/** The TPM name of a public area: its name algorithm, then the hash of the TPMT_PUBLIC with it. */
export function tpmName(nameAlg: number, area: Buffer): Buffer {
  const hash = TPM_HASHES.get(nameAlg);
  if (!hash) throw new TpmFormatError("the name algorithm is not a SHA hash");
  const alg = Buffer.alloc(2);
  alg.writeUInt16BE(nameAlg);
  return Buffer.concat([alg, createHash(hash.node).update(area).digest()]);
}

/** The bytes of base64 `text`, or undefined when it is not strict base64. */
export function strictBase64(text: string): Buffer | undefined {
  return /^[A-Za-z0-9+/]+={0,2}$/.test(text) ? Buffer.from(text, "base64") : undefined;
}

/**
 * Why `text` is not an endorsement key DPS accepts, or undefined when it is one: base64 of a
 * TPM2B_PUBLIC whose size matches, with an RSA or ECC key, a known name algorithm and nothing after it.
 */
export function endorsementKeyProblem(text: string): string | undefined {
  const bytes = strictBase64(text);
  if (!bytes) return "it is not base64";
  try {
    parseTpmPublic(bytes);
    return undefined;
  } catch (err) {
    return (err as TpmFormatError).message;
  }
}

/**
 * Why `text` is not a TPM storage root key (a base64 TPM2B_PUBLIC of a restricted decryption key),
 * or undefined when it is one. Never skipped later: what is stored is what registration compares.
 */
export function storageRootKeyProblem(text: string): string | undefined {
  const problem = endorsementKeyProblem(text);
  if (problem) return problem;
  const key = parseTpmPublic(strictBase64(text) as Buffer);
  const restrictedDecrypt = TpmaObject.restricted | TpmaObject.decrypt;
  if ((key.attributes & restrictedDecrypt) !== restrictedDecrypt) {
    return "it is not a restricted decryption (storage) key";
  }
  return undefined;
}
