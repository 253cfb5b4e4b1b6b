// Pure X.509 path rules (RFC 5280 6.1) for the chains devices present: from the device certificate up
// to a trust anchor (a group's signing certificate or a CA the DPS holds), every issuer is a CA, path
// length constraints hold, every certificate is within its validity, and the chain is bounded.
// Node's X509Certificate checks names and signatures; node-forge's ASN.1 reader reads the two
// extensions Node does not expose (basicConstraints' pathLenConstraint, keyUsage).
import type { X509Certificate } from "node:crypto";
import forge from "node-forge";

/**
 * Most certificates a device may present over TLS (its own and the CAs above it, the root included
 * or not). The service documents no number; real device chains have 2 to 4.
 */
export const MAX_CHAIN_CERTIFICATES = 10;

const BASIC_CONSTRAINTS = "2.5.29.19";
const KEY_USAGE = "2.5.29.15";

/** What RFC 5280 path validation needs from a certificate beyond names, keys and dates. */
export interface CaFacts {
  /** basicConstraints is present with cA TRUE. */
  ca: boolean;
  /** basicConstraints' pathLenConstraint, when present. */
  pathLength?: number;
  /** keyUsage is present. */
  hasKeyUsage: boolean;
  /** keyUsage has keyCertSign (false when keyUsage is absent). */
  keyCertSign: boolean;
}

/** forge's reader takes options at run time; its types declare only `strict`. */
const fromDer = forge.asn1.fromDer as unknown as (
  bytes: string,
  options: { strict: boolean; parseAllBytes: boolean; decodeBitStrings: boolean },
) => forge.asn1.Asn1;

function der(bytes: string): forge.asn1.Asn1 {
  return fromDer(bytes, { strict: true, parseAllBytes: true, decodeBitStrings: false });
}

function children(node: forge.asn1.Asn1 | undefined): forge.asn1.Asn1[] {
  if (!node || !Array.isArray(node.value)) throw new Error("not an ASN.1 sequence");
  return node.value;
}

function primitive(node: forge.asn1.Asn1 | undefined): string {
  if (!node || typeof node.value !== "string") throw new Error("not a primitive ASN.1 value");
  return node.value;
}

/** A DER INTEGER's bytes as a count; a negative one (invalid) reads as 0, the strictest. */
function nonNegative(bytes: string): number {
  if (bytes.length === 0 || bytes.charCodeAt(0) & 0x80) return 0;
  if (bytes.length > 6) return Number.MAX_SAFE_INTEGER;
  let n = 0;
  for (let i = 0; i < bytes.length; i += 1) n = n * 256 + bytes.charCodeAt(i);
  return n;
}

/** The `Extension` nodes of a DER certificate (empty for a v1 certificate). */
function extensionsOf(raw: Buffer): forge.asn1.Asn1[] {
  const [tbs] = children(der(raw.toString("binary")));
  const wrapper = children(tbs).find((n) => n.tagClass === forge.asn1.Class.CONTEXT_SPECIFIC && n.type === 3);
  return wrapper ? children(children(wrapper)[0]) : [];
}

/**
 * Reads basicConstraints and keyUsage of `cert`.
 *
 * @throws Error when the certificate's extensions cannot be read as DER.
 */
export function caFacts(cert: X509Certificate): CaFacts {
  const facts: CaFacts = { ca: false, hasKeyUsage: false, keyCertSign: false };
  for (const ext of extensionsOf(cert.raw)) {
    const parts = children(ext);
    const oid = forge.asn1.derToOid(primitive(parts[0]));
    // extnValue is the last field (critical, a BOOLEAN, may sit between).
    const value = primitive(parts[parts.length - 1]);
    if (oid === BASIC_CONSTRAINTS) {
      for (const field of children(der(value))) {
        if (field.type === forge.asn1.Type.BOOLEAN) facts.ca = primitive(field) !== "\x00";
        if (field.type === forge.asn1.Type.INTEGER) facts.pathLength = nonNegative(primitive(field));
      }
    } else if (oid === KEY_USAGE) {
      // BIT STRING: one byte of unused-bit count, then the bits; keyCertSign is bit 5 (0x04 of byte 1).
      const bits = primitive(der(value));
      facts.hasKeyUsage = true;
      facts.keyCertSign = bits.length > 1 && (bits.charCodeAt(1) & 0x04) !== 0;
    }
  }
  return facts;
}

/** The outcome of {@link verifyChain}. */
export type ChainVerdict =
  | { ok: true }
  | {
      ok: false;
      /** Why the chain is refused, naming the certificate concerned. */
      reason: string;
      /**
       * True when the chain does reach the anchor but breaks a rule on the way: the refusal is then
       * about this anchor, not a chain leading elsewhere.
       */
      reachedAnchor: boolean;
    };

/** The subject of `cert` on one line, as messages name it. */
export function subjectOf(cert: X509Certificate): string {
  return cert.subject.replace(/\n/g, ", ");
}

function sameCertificate(a: X509Certificate, b: X509Certificate): boolean {
  return a.fingerprint256 === b.fingerprint256;
}

/** Names chain and the signature verifies (RFC 5280 6.1.3 a.1, a.4): nothing about the issuer's rights. */
function issuedBy(cert: X509Certificate, issuer: X509Certificate): boolean {
  if (cert.issuer !== issuer.subject) return false;
  try {
    return cert.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

function isCurrent(cert: X509Certificate, now: Date): boolean {
  return new Date(cert.validFrom) <= now && now <= new Date(cert.validTo);
}

/** Why `issuer` may not issue `subject`'s certificate, or undefined when it may. */
function issuerFault(issuer: X509Certificate, subject: X509Certificate, below: number): string | undefined {
  let facts: CaFacts;
  try {
    facts = caFacts(issuer);
  } catch {
    return `the extensions of '${subjectOf(issuer)}' cannot be read`;
  }
  const issued = `'${subjectOf(subject)}'`;
  if (!facts.ca) {
    return (
      `'${subjectOf(issuer)}' issued ${issued} but is not a CA certificate (basicConstraints cA is not TRUE); ` +
      "RFC 5280 forbids verifying certificate signatures with such a key"
    );
  }
  if (facts.hasKeyUsage && !facts.keyCertSign) {
    return `'${subjectOf(issuer)}' issued ${issued} but its keyUsage lacks keyCertSign`;
  }
  if (facts.pathLength !== undefined && below > facts.pathLength) {
    return (
      `'${subjectOf(issuer)}' allows ${facts.pathLength} CA certificate(s) below it (pathLenConstraint) ` +
      `but ${below} follow it in the chain`
    );
  }
  return undefined;
}

/**
 * Checks the chain a device presented (leaf first) against one trust anchor, as RFC 5280 6.1 validates a
 * path: the certificates from the leaf up to the first one the anchor issued (or the anchor itself,
 * when the device sends it along) must each be issued by the next; every issuer, the anchor included,
 * must be a CA (basicConstraints cA TRUE, keyCertSign when keyUsage is present) whose
 * pathLenConstraint admits the CA certificates below it (self-issued ones do not count); and every
 * certificate of the path and the anchor must be valid at `now`. Certificates after the anchor is
 * reached are ignored. The leaf itself is never the anchor: a device certificate is issued by a CA.
 */
export function verifyChain(
  presented: readonly X509Certificate[],
  anchor: X509Certificate,
  now: Date,
): ChainVerdict {
  const refuse = (reason: string, reachedAnchor: boolean): ChainVerdict => ({
    ok: false,
    reason,
    reachedAnchor,
  });
  if (presented.length === 0) return refuse("no certificate was presented", false);
  if (presented.length > MAX_CHAIN_CERTIFICATES) {
    return refuse(
      `the chain has ${presented.length} certificates or more; at most ${MAX_CHAIN_CERTIFICATES} are accepted`,
      false,
    );
  }
  if (sameCertificate(presented[0], anchor)) {
    return refuse(`the device certificate '${subjectOf(anchor)}' is the CA certificate itself`, true);
  }
  // The path: leaf first, ending with the certificate the anchor issued (a presented copy of the anchor
  // itself comes after it, so it is never part of the path).
  const path: X509Certificate[] = [];
  let reached = false;
  for (let i = 0; i < presented.length && !reached; i += 1) {
    const cert = presented[i];
    path.push(cert);
    if (issuedBy(cert, anchor)) reached = true;
    else if (i + 1 >= presented.length || !issuedBy(cert, presented[i + 1])) {
      return refuse(`'${subjectOf(cert)}' is not issued by the next certificate of the chain`, false);
    }
  }
  if (!reached) return refuse("the chain does not lead to the CA certificate", false);
  // Issuers from the bottom: path[1..] and the anchor. `below` counts the CA certificates under each
  // (the leaf excluded), leaving out self-issued ones (RFC 5280 6.1.4 l).
  const issuers = [...path.slice(1), anchor];
  let below = 0;
  for (let i = 0; i < issuers.length; i += 1) {
    const fault = issuerFault(issuers[i], path[i], below);
    if (fault) return refuse(fault, true);
    if (i < issuers.length - 1 && issuers[i].subject !== issuers[i].issuer) below += 1;
  }
  for (const cert of [...path, anchor]) {
    if (!isCurrent(cert, now)) {
      return refuse(
        `'${subjectOf(cert)}' is outside its validity (${cert.validFrom} to ${cert.validTo})`,
        true,
      );
    }
  }
  return { ok: true };
}
