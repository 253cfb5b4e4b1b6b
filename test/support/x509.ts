// X.509 certificates for chain tests, with exactly the extensions a test asks for (basicConstraints
// with or without cA and pathLenConstraint, or none; keyUsage with or without keyCertSign, or none) and
// chosen validity. Keys are ECDSA P-256 (fast to make, so every certificate has its own key). node-forge
// lays out the TBSCertificate, whose RSA-only parts (the key, the issuer read from PEM) are replaced
// with DER from node's crypto; node's crypto signs.
import { generateKeyPairSync, sign, X509Certificate, type KeyObject } from "node:crypto";
import forge from "node-forge";
import { serial } from "../../emulator/tls";

/** A certificate and its private key, PEM (the shape the device SDK and `issueCertificate` use). */
export interface TestCertificate {
  /** Certificate PEM; for a device, the chain it presents (leaf first) when built with {@link presenting}. */
  certificatePem: string;
  /** Private key PEM (PKCS#8). */
  privateKeyPem: string;
}

/** Options of {@link certificate}. */
export interface CertificateOptions {
  /** Subject CN. */
  commonName: string;
  /** The signer; absent: self-signed. */
  issuer?: TestCertificate;
  /** basicConstraints: `null` leaves the extension out (as `openssl x509 -req` does by default). */
  basicConstraints?: { cA: boolean; pathLenConstraint?: number } | null;
  /** keyUsage: `null` leaves the extension out. Default: CAs keyCertSign and cRLSign, devices digitalSignature. */
  keyUsage?: { keyCertSign?: boolean; digitalSignature?: boolean } | null;
  /** Default an hour ago. */
  notBefore?: Date;
  /** Default 30 days ahead. */
  notAfter?: Date;
  /** The key pair to certify; default a fresh one. */
  keys?: { publicKey: KeyObject; privateKey: KeyObject };
}

/** forge exports this at run time; @types/node-forge omits it. */
const forgePki = forge.pki as typeof forge.pki & {
  getTBSCertificate(cert: forge.pki.Certificate): forge.asn1.Asn1;
};
const { asn1 } = forge;
/** forge lays out the TBSCertificate only with an RSA key; this one is replaced before signing. */
const PLACEHOLDER_KEY = forge.pki.setRsaPublicKey(
  new forge.jsbn.BigInteger("00c0ffee", 16),
  new forge.jsbn.BigInteger("65537", 10),
);
const ECDSA_SHA256 = "1.2.840.10045.4.3.2";

function fromDer(der: Buffer): forge.asn1.Asn1 {
  return asn1.fromDer(der.toString("binary"));
}

function parts(node: forge.asn1.Asn1): forge.asn1.Asn1[] {
  return node.value as forge.asn1.Asn1[];
}

/** The subject Name of a PEM certificate, as ASN.1 (forge cannot read EC certificates whole). */
function subjectName(pem: string): forge.asn1.Asn1 {
  const tbs = parts(fromDer(new X509Certificate(pem).raw))[0];
  return parts(tbs)[5];
}

function algorithm(): forge.asn1.Asn1 {
  return asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(ECDSA_SHA256).getBytes()),
  ]);
}

/** A fresh ECDSA P-256 key pair. */
export function ecKeys(): { publicKey: KeyObject; privateKey: KeyObject } {
  return generateKeyPairSync("ec", { namedCurve: "P-256" });
}

/** Issues a certificate with exactly the requested extensions (see {@link CertificateOptions}). */
export function certificate(options: CertificateOptions): TestCertificate {
  const keys = options.keys ?? ecKeys();
  const basic = options.basicConstraints === undefined ? { cA: false } : options.basicConstraints;
  const isCa = basic?.cA === true;
  const usage =
    options.keyUsage === undefined
      ? isCa
        ? { keyCertSign: true, cRLSign: true, digitalSignature: true }
        : { digitalSignature: true }
      : options.keyUsage;
  const cert = forge.pki.createCertificate();
  cert.publicKey = PLACEHOLDER_KEY;
  cert.siginfo.algorithmOid = forge.pki.oids.sha256WithRSAEncryption; // replaced below
  cert.serialNumber = serial();
  cert.validity.notBefore = options.notBefore ?? new Date(Date.now() - 3600_000);
  cert.validity.notAfter = options.notAfter ?? new Date(Date.now() + 30 * 86400_000);
  cert.setSubject([{ name: "commonName", value: options.commonName }]);
  cert.setIssuer([{ name: "commonName", value: options.commonName }]);
  const extensions: object[] = [];
  if (basic) extensions.push({ name: "basicConstraints", critical: true, ...basic });
  if (usage) extensions.push({ name: "keyUsage", critical: true, ...usage });
  if (!isCa) extensions.push({ name: "extKeyUsage", clientAuth: true });
  cert.setExtensions(extensions);

  const tbs = forgePki.getTBSCertificate(cert);
  const fields = parts(tbs);
  fields[2] = algorithm();
  if (options.issuer) fields[3] = subjectName(options.issuer.certificatePem);
  fields[6] = fromDer(keys.publicKey.export({ type: "spki", format: "der" }));
  const tbsDer = Buffer.from(asn1.toDer(tbs).getBytes(), "binary");
  const signer = options.issuer ? options.issuer.privateKeyPem : keys.privateKey;
  const signature = sign("sha256", tbsDer, signer);
  const whole = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
    tbs,
    algorithm(),
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.BITSTRING, false, `\x00${signature.toString("binary")}`),
  ]);
  const body = asn1.toDer(whole).getBytes();
  return {
    certificatePem: forge.pem.encode({ type: "CERTIFICATE", body }),
    privateKeyPem: keys.privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
  };
}

/** A CA certificate (basicConstraints cA TRUE, keyCertSign), optionally with a pathLenConstraint. */
export function caCertificate(
  commonName: string,
  issuer?: TestCertificate,
  pathLenConstraint?: number,
): TestCertificate {
  const basicConstraints = pathLenConstraint === undefined ? { cA: true } : { cA: true, pathLenConstraint };
  return certificate({ commonName, issuer, basicConstraints });
}

/** `device` presenting `above` with it: its certificate PEM followed by theirs (leaf first). */
export function presenting(device: TestCertificate, ...above: TestCertificate[]): TestCertificate {
  const pems = above.map((c) => c.certificatePem.split(/(?<=-----END CERTIFICATE-----)/)[0].trim());
  return { ...device, certificatePem: [device.certificatePem.trim(), ...pems].join("\n") + "\n" };
}

/** A ladder of `length` CAs, root first, each issuing the next (what a hostile device presents). */
export interface CaLadder {
  /** The CAs, root first. */
  cas: TestCertificate[];
  /** The one key all of them certify (quick to make; signatures still verify). */
  keys: { publicKey: KeyObject; privateKey: KeyObject };
}

/** A {@link CaLadder} of `length` CAs. */
export function caLadder(length: number): CaLadder {
  const keys = ecKeys();
  const cas = [certificate({ commonName: "Long Root", basicConstraints: { cA: true }, keys })];
  for (let i = 1; i < length; i += 1) {
    cas.push(
      certificate({ commonName: `Long CA ${i}`, issuer: cas[i - 1], basicConstraints: { cA: true }, keys }),
    );
  }
  return { cas, keys };
}

/** A new device certificate `commonName` under the ladder, presented with all of it, leaf first. */
export function longChain(commonName: string, ladder: CaLadder): TestCertificate {
  const leaf = certificate({ commonName, issuer: ladder.cas[ladder.cas.length - 1], keys: ladder.keys });
  return presenting(leaf, ...[...ladder.cas].reverse());
}
