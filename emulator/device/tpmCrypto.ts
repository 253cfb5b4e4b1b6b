// The service side of TPM attestation as pure constructions (TPM 2.0 Part 1: 11.4.10.2 KDFa,
// 24 credential protection, 23.3 duplication; Part 2: structures; Part 3: TPM2_MakeCredential,
// TPM2_Duplicate). The result is the activation blob the device SDKs parse: a credential only the
// enrolled endorsement key can activate, protecting the inner key of an HMAC key duplicated to the
// device's storage root key.
import {
  constants,
  createCipheriv,
  createHash,
  createHmac,
  createPublicKey,
  publicEncrypt,
  randomBytes,
} from "node:crypto";
import { TPM_HASHES, TpmAlg, TpmaObject, tpmName, type TpmPublic } from "../tpm";

/** Where the randomness of a construction comes from (tests pass their own). */
export type RandomSource = (size: number) => Buffer;

function u16(value: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(value);
  return b;
}

function u32(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(value);
  return b;
}

/** A TPM2B: 16-bit size, then the bytes. */
export function sized(bytes: Buffer): Buffer {
  return Buffer.concat([u16(bytes.length), bytes]);
}

function hashOf(alg: number): { node: string; size: number } {
  const hash = TPM_HASHES.get(alg);
  if (!hash) throw new Error(`hash algorithm 0x${alg.toString(16)} is not supported`);
  return hash;
}

/**
 * KDFa (Part 1, 11.4.10.2): HMAC(key, [i]32 || label || 0x00 || contextU || contextV || [bits]32)
 * for i = 1, 2, ... until `bits` are produced. `label` is given without its terminating zero.
 */
export function kdfa(
  hashAlg: number,
  key: Buffer,
  label: string,
  contextU: Buffer,
  contextV: Buffer,
  bits: number,
): Buffer {
  const { node, size } = hashOf(hashAlg);
  const bytes = Math.ceil(bits / 8);
  const blocks: Buffer[] = [];
  for (let i = 1; blocks.length * size < bytes; i += 1) {
    blocks.push(
      createHmac(node, key)
        .update(Buffer.concat([u32(i), Buffer.from(`${label}\0`, "latin1"), contextU, contextV, u32(bits)]))
        .digest(),
    );
  }
  return Buffer.concat(blocks).subarray(0, bytes);
}

/** AES in CFB mode with a zero IV, as the TPM protects credentials and duplication blobs. */
function aesCfb(key: Buffer, data: Buffer): Buffer {
  const cipher = createCipheriv(`aes-${key.length * 8}-cfb`, key, Buffer.alloc(16));
  return Buffer.concat([cipher.update(data), cipher.final()]);
}

/** Why `key` cannot protect a secret for the emulator (an RSA decryption key with AES-CFB), or undefined. */
export function protectorProblem(key: TpmPublic): string | undefined {
  if (key.type !== TpmAlg.rsa || !key.rsa) return "it is not an RSA key (only RSA keys are emulated)";
  const bits = key.rsa.modulus.length * 8;
  if (bits < 1024 || bits > 4096 || (key.rsa.modulus[key.rsa.modulus.length - 1] & 1) === 0) {
    return "its RSA modulus is not an odd number of 1024 to 4096 bits";
  }
  if (key.rsa.exponent < 3 || key.rsa.exponent % 2 === 0)
    return "its RSA exponent is not an odd number above 1";
  const restrictedDecrypt = TpmaObject.restricted | TpmaObject.decrypt;
  if ((key.attributes & restrictedDecrypt) !== restrictedDecrypt)
    return "it is not a restricted decryption key";
  const sym = key.symmetric;
  if (
    !sym ||
    sym.algorithm !== TpmAlg.aes ||
    sym.mode !== TpmAlg.cfb ||
    ![128, 192, 256].includes(sym.keyBits)
  ) {
    return "its symmetric algorithm is not AES in CFB mode";
  }
  return undefined;
}

/**
 * A seed encrypted to an RSA protector (Part 1, Annex B.10.3): RSA-OAEP with the protector's name
 * algorithm and `label` (with its terminating zero). The seed has that algorithm's digest size.
 */
function encryptedSeed(
  protector: TpmPublic,
  label: string,
  random: RandomSource,
): { seed: Buffer; secret: Buffer } {
  const rsa = protector.rsa;
  if (!rsa) throw new Error("only RSA protectors are supported");
  const { node, size } = hashOf(protector.nameAlg);
  const seed = random(size);
  const exponent = u32(rsa.exponent);
  const e = exponent.subarray(exponent.findIndex((b) => b !== 0)).toString("base64url");
  const key = createPublicKey({
    key: { kty: "RSA", n: rsa.modulus.toString("base64url"), e },
    format: "jwk",
  });
  const secret = publicEncrypt(
    {
      key,
      padding: constants.RSA_PKCS1_OAEP_PADDING,
      oaepHash: node,
      oaepLabel: Buffer.from(`${label}\0`, "latin1"),
    },
    seed,
  );
  return { seed, secret };
}

/**
 * The outer wrap (Part 1, 23.3.2.3 and 24.4): `data` encrypted with KDFa(seed, "STORAGE", name) and
 * preceded by its HMAC with KDFa(seed, "INTEGRITY") over the encrypted data and the name.
 */
function outerWrap(protector: TpmPublic, seed: Buffer, name: Buffer, data: Buffer): Buffer {
  const { node, size } = hashOf(protector.nameAlg);
  const keyBits = protector.symmetric?.keyBits ?? 128;
  const encrypted = aesCfb(kdfa(protector.nameAlg, seed, "STORAGE", name, Buffer.alloc(0), keyBits), data);
  const hmacKey = kdfa(protector.nameAlg, seed, "INTEGRITY", Buffer.alloc(0), Buffer.alloc(0), size * 8);
  const integrity = createHmac(node, hmacKey).update(encrypted).update(name).digest();
  return Buffer.concat([sized(integrity), encrypted]);
}

/**
 * TPM2_MakeCredential done outside a TPM: `credential` for the object named `objectName`, protected by
 * the endorsement key `ek`. Returns the TPM2B_ID_OBJECT and the TPM2B_ENCRYPTED_SECRET that
 * TPM2_ActivateCredential takes.
 */
export function makeCredential(
  ek: TpmPublic,
  credential: Buffer,
  objectName: Buffer,
  random: RandomSource = randomBytes,
): { idObject: Buffer; secret: Buffer } {
  const { seed, secret } = encryptedSeed(ek, "IDENTITY", random);
  return { idObject: sized(outerWrap(ek, seed, objectName, sized(credential))), secret: sized(secret) };
}

/** The public area (TPMT_PUBLIC) of an HMAC-SHA256 key the device imports: see {@link hmacKeyObject}. */
function hmacKeyPublic(seedValue: Buffer, key: Buffer): Buffer {
  // Duplicable (fixedTPM, fixedParent clear), imported (sensitiveDataOrigin clear), usable with an
  // empty password (userWithAuth), for signing only: HMAC with SHA-256.
  const attributes = TpmaObject.userWithAuth | TpmaObject.sign;
  const unique = createHash("sha256").update(seedValue).update(key).digest();
  return Buffer.concat([
    u16(TpmAlg.keyedHash),
    u16(TpmAlg.sha256),
    u32(attributes),
    sized(Buffer.alloc(0)), // authPolicy
    u16(TpmAlg.hmac),
    u16(TpmAlg.sha256),
    sized(unique),
  ]);
}

/**
 * An HMAC key as a TPM object: its public area and its TPMT_SENSITIVE (Part 2, 12.3.2.4), whose
 * public `unique` is the hash of the sensitive seed and key (Part 1, 27.2.3), as TPM2_Import checks.
 */
export function hmacKeyObject(
  key: Buffer,
  random: RandomSource = randomBytes,
): { publicArea: Buffer; sensitive: Buffer } {
  const seedValue = random(32);
  const sensitive = Buffer.concat([
    u16(TpmAlg.keyedHash),
    sized(Buffer.alloc(0)), // authValue: empty
    sized(seedValue),
    sized(key),
  ]);
  return { publicArea: hmacKeyPublic(seedValue, key), sensitive };
}

/**
 * TPM2_Duplicate done outside a TPM (Part 1, 23.3): the object's TPM2B_SENSITIVE under an inner wrap
 * (SHA-256 integrity, then AES-CFB with `innerKey`) and an outer wrap to `parent` (a seed encrypted
 * with the label "DUPLICATE"). Returns the TPM2B_PRIVATE and the TPM2B_ENCRYPTED_SECRET that
 * TPM2_Import takes.
 */
export function duplicate(
  parent: TpmPublic,
  publicArea: Buffer,
  sensitive: Buffer,
  innerKey: Buffer,
  random: RandomSource = randomBytes,
): { duplicate: Buffer; secret: Buffer } {
  const name = tpmName(TpmAlg.sha256, publicArea);
  const encoded = sized(sensitive);
  const innerIntegrity = createHash("sha256").update(encoded).update(name).digest();
  const inner = aesCfb(innerKey, Buffer.concat([sized(innerIntegrity), encoded]));
  const { seed, secret } = encryptedSeed(parent, "DUPLICATE", random);
  return { duplicate: sized(outerWrap(parent, seed, name, inner)), secret: sized(secret) };
}

/**
 * The activation blob (`authenticationKey`) the service sends a TPM device, in the order the device
 * SDKs parse it: TPM2B_ID_OBJECT and TPM2B_ENCRYPTED_SECRET (the credential for the endorsement key,
 * protecting the inner wrap key, bound to the storage root key's name), TPM2B_PRIVATE and
 * TPM2B_ENCRYPTED_SECRET (the HMAC key duplicated to the storage root key), TPM2B_PUBLIC (the HMAC
 * key's public area) and an empty TPM2B_DATA.
 *
 * @param ek - The enrolled endorsement key (RSA, restricted decryption, AES-CFB).
 * @param srk - The device's storage root key (same requirements).
 * @param hmacKey - The key the device then signs its SAS tokens with.
 */
export function activationBlob(
  ek: TpmPublic,
  srk: TpmPublic,
  hmacKey: Buffer,
  random: RandomSource = randomBytes,
): Buffer {
  const innerKey = random((srk.symmetric?.keyBits ?? 128) / 8);
  const credential = makeCredential(ek, innerKey, tpmName(srk.nameAlg, srk.area), random);
  const object = hmacKeyObject(hmacKey, random);
  const dup = duplicate(srk, object.publicArea, object.sensitive, innerKey, random);
  return Buffer.concat([
    credential.idObject,
    credential.secret,
    dup.duplicate,
    dup.secret,
    sized(object.publicArea),
    sized(Buffer.alloc(0)),
  ]);
}
