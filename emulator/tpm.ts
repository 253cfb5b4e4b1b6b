// Pure check of a TPM endorsement key as DPS takes it: base64 of a TPM2B_PUBLIC (TPM 2.0 Part 2,
// 12.2.5) holding an RSA or ECC TPMT_PUBLIC, read field by field to its exact end.

const TPM_ALG_RSA = 0x0001;
const TPM_ALG_ECC = 0x0023;
const TPM_ALG_NULL = 0x0010;
const NAME_ALGS = new Set([0x0004, 0x000b, 0x000c, 0x000d]); // SHA-1, SHA-256, SHA-384, SHA-512

/** Reads big-endian fields; throws a RangeError past the end. */
class Reader {
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

/** TPMT_SYM_DEF_OBJECT, then TPMT_ASYM_SCHEME / TPMT_RSA|ECC_SCHEME: algorithm, details unless NULL. */
function symmetricAndScheme(r: Reader): void {
  if (r.u16() !== TPM_ALG_NULL) {
    r.u16(); // keyBits
    r.u16(); // mode
  }
  if (r.u16() !== TPM_ALG_NULL) r.u16(); // hash algorithm of the scheme
}

/**
 * Why `text` is not an endorsement key DPS accepts, or undefined when it is one: base64 of a
 * TPM2B_PUBLIC whose size matches, with an RSA or ECC key, a known name algorithm and nothing after it.
 */
export function endorsementKeyProblem(text: string): string | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return "it is not base64";
  const bytes = Buffer.from(text, "base64");
  try {
    const outer = new Reader(bytes);
    const inner = new Reader(outer.sized());
    if (!outer.done) return "the TPM2B_PUBLIC size does not match its length";
    const type = inner.u16();
    if (type !== TPM_ALG_RSA && type !== TPM_ALG_ECC) return "the key type is neither RSA nor ECC";
    if (!NAME_ALGS.has(inner.u16())) return "the name algorithm is not a SHA hash";
    inner.u32(); // objectAttributes
    inner.sized(); // authPolicy
    symmetricAndScheme(inner);
    if (type === TPM_ALG_RSA) {
      const keyBits = inner.u16();
      inner.u32(); // exponent
      if (inner.sized().length * 8 !== keyBits) return "the RSA modulus does not have the declared size";
    } else {
      inner.u16(); // curveID
      if (inner.u16() !== TPM_ALG_NULL) inner.u16(); // kdf scheme and its hash
      if (inner.sized().length === 0 || inner.sized().length === 0) return "the ECC point is empty";
    }
    if (!inner.done) return "bytes follow the public area";
    return undefined;
  } catch {
    return "it is truncated";
  }
}
