// Operational certificates for devices that register with a CSR (device API 2026-11-01): one
// throwaway CA per ADR certificate policy the emulator was started with (`--adr-policy`), made at start.
import { sign } from "node:crypto";
import forge from "node-forge";
import { adrPolicyKey, parseAdrPolicy, type AdrReference } from "../adr";
import type { CertificationRequest } from "../csr";
import { rsaKeys, serial, signCertificate, validity, type RsaKeys } from "../tls";

/** Days an issued device certificate is valid (ADR policies allow 1 to 90). */
export const ISSUED_CERTIFICATE_DAYS = 30;

/** An ADR certificate policy the emulator knows, and the CA that issues under it. */
export interface AdrPolicyInfo {
  /** `NAMESPACE/CA/POLICY`, as given at start. */
  policy: string;
  /** The policy's CA certificate PEM (self-signed): what issued device certificates verify against. */
  caCertificatePem: string;
}

interface Authority {
  info: AdrPolicyInfo;
  keys: RsaKeys;
  cert: forge.pki.Certificate;
  der: Buffer;
}

/** Refusal of an issuance (unknown policy): the registration fails with this message. */
export class IssuanceError extends Error {
  override readonly name = "IssuanceError";
}

function derOf(asn1: forge.asn1.Asn1): Buffer {
  return Buffer.from(forge.asn1.toDer(asn1).getBytes(), "binary");
}

async function createAuthority(policy: AdrReference, text: string): Promise<Authority> {
  const keys = await rsaKeys();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serial();
  validity(cert, 365);
  const subject = [
    { name: "commonName", value: `ADR ${policy.certificatePolicyName} (DPS emulator throwaway CA)` },
    { name: "organizationalUnitName", value: `${policy.namespaceName}/${policy.certificateAuthorityName}` },
  ];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: "basicConstraints", cA: true, critical: true },
    { name: "keyUsage", keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: "subjectKeyIdentifier" },
  ]);
  signCertificate(cert, keys.privatePem);
  return {
    info: { policy: text, caCertificatePem: forge.pki.certificateToPem(cert) },
    keys,
    cert,
    der: derOf(forge.pki.certificateToAsn1(cert)),
  };
}

/** The ADR policies of a running emulator and their CAs. */
export class AdrAuthorities {
  private constructor(private readonly byKey: ReadonlyMap<string, Authority>) {}

  /**
   * Creates a CA for each `NAMESPACE/CA/POLICY` (duplicates share one).
   *
   * @throws Error naming `--adr-policy` when a value is malformed.
   */
  static async create(policies: readonly string[] = []): Promise<AdrAuthorities> {
    const refs = new Map<string, { ref: AdrReference; text: string }>();
    for (const text of policies) {
      const ref = parseAdrPolicy(text);
      if (!refs.has(adrPolicyKey(ref))) refs.set(adrPolicyKey(ref), { ref, text });
    }
    const made = await Promise.all(
      [...refs].map(async ([key, { ref, text }]) => [key, await createAuthority(ref, text)] as const),
    );
    return new AdrAuthorities(new Map(made));
  }

  /** No policies: every issuance is refused. */
  static none(): AdrAuthorities {
    return new AdrAuthorities(new Map());
  }

  /** The known policies with their CA certificates. */
  list(): AdrPolicyInfo[] {
    return [...this.byKey.values()].map((a) => ({ ...a.info }));
  }

  /**
   * Issues a device certificate under `policy` for the verified `csr`: subject CN `registrationId`,
   * the CSR's public key, signed by the policy's CA. Returns the chain leaf first, base64 DER, ending
   * with the (root) CA, as `issuedCertificateChain` carries it.
   *
   * @throws IssuanceError when the emulator does not know the policy.
   */
  issue(policy: AdrReference, registrationId: string, csr: CertificationRequest): string[] {
    const ca = this.byKey.get(adrPolicyKey(policy));
    if (!ca) {
      throw new IssuanceError(
        `The certificate policy '${policy.namespaceName}/${policy.certificateAuthorityName}/` +
          `${policy.certificatePolicyName}' named by the enrollment does not exist ` +
          "(start the emulator with --adr-policy NAMESPACE/CA/POLICY).",
      );
    }
    const cert = forge.pki.createCertificate();
    // forge encodes RSA keys only: build with the CA's key, then put the CSR's key info in its place.
    cert.publicKey = ca.keys.publicKey;
    cert.serialNumber = serial();
    validity(cert, ISSUED_CERTIFICATE_DAYS);
    cert.setSubject([{ name: "commonName", value: registrationId }]);
    cert.setIssuer(ca.cert.subject.attributes);
    cert.setExtensions([
      { name: "basicConstraints", cA: false, critical: true },
      { name: "keyUsage", digitalSignature: true, critical: true },
      { name: "extKeyUsage", clientAuth: true },
      { name: "authorityKeyIdentifier", keyIdentifier: ca.cert.generateSubjectKeyIdentifier().getBytes() },
    ]);
    signCertificate(cert, ca.keys.privatePem); // sets the algorithm fields; signed again below
    const [tbs] = forge.pki.certificateToAsn1(cert).value as forge.asn1.Asn1[];
    // TBSCertificate: [0] version, serial, signature, issuer, validity, subject, subjectPublicKeyInfo, ...
    (tbs.value as forge.asn1.Asn1[])[6] = csr.subjectPublicKeyInfo;
    // certificateToAsn1 prefers a cached TBSCertificate: the one with the device's key.
    cert.tbsCertificate = tbs;
    cert.signature = sign("sha256", derOf(tbs), ca.keys.privatePem).toString("binary");
    const leaf = derOf(forge.pki.certificateToAsn1(cert));
    return [leaf.toString("base64"), ca.der.toString("base64")];
  }
}
