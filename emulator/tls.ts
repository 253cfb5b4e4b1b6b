// Throwaway TLS material: a CA and a server certificate signed by it, made fresh on every start.
// node-forge builds the certificates; the key comes from node's native RSA generation and node's crypto
// signs, because forge's pure-JS RSA takes seconds per key and ~100 ms per signature. Native RSA-2048
// generation still takes 0.2-0.8 s on a busy machine, so the CA and the server share one key pair:
// both private keys would live only in this process's memory anyway, so a second key adds no safety.
import { generateKeyPair, randomBytes, sign } from "node:crypto";
import { promisify } from "node:util";
import forge from "node-forge";

const generateKeyPairAsync = promisify(generateKeyPair);

/** forge exports this at run time; @types/node-forge omits it. */
const forgePki = forge.pki as typeof forge.pki & {
  getTBSCertificate(cert: forge.pki.Certificate): forge.asn1.Asn1;
};

/** PEM material for the HTTPS server and its clients. */
export interface TlsMaterial {
  /** CA certificate PEM: what clients must trust. */
  caCertificatePem: string;
  /** Server certificate PEM. */
  certificatePem: string;
  /** Server private key PEM. */
  privateKeyPem: string;
}

/** An RSA key pair: the public key for forge, the private key PEM for node's crypto. */
export interface RsaKeys {
  /** Public key, as forge builds certificates with it. */
  publicKey: forge.pki.PublicKey;
  /** Private key PEM (PKCS#8). */
  privatePem: string;
}

/** A fresh RSA-2048 key pair, generated natively. */
export async function rsaKeys(): Promise<RsaKeys> {
  const { publicKey, privateKey } = await generateKeyPairAsync("rsa", {
    modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
  });
  return { publicKey: forge.pki.publicKeyFromPem(publicKey), privatePem: privateKey };
}

/** Signs `cert` with SHA-256/RSA using node's crypto (what `cert.sign` does, natively). */
export function signCertificate(cert: forge.pki.Certificate, issuerKeyPem: string): void {
  const oid = forge.pki.oids.sha256WithRSAEncryption;
  cert.siginfo.algorithmOid = oid;
  cert.signatureOid = oid;
  const tbs = Buffer.from(forge.asn1.toDer(forgePki.getTBSCertificate(cert)).getBytes(), "binary");
  cert.signature = sign("sha256", tbs, issuerKeyPem).toString("binary");
}

/** A random positive 16-byte serial number, hex. */
export function serial(): string {
  // Positive 16-byte serial: clear the top bit so DER does not read it as negative.
  const bytes = randomBytes(16);
  bytes[0] &= 0x7f;
  return bytes.toString("hex");
}

/** Sets `cert` valid from an hour ago (clock skew) for `days` days. */
export function validity(cert: forge.pki.Certificate, days: number): void {
  const now = Date.now();
  cert.validity.notBefore = new Date(now - 60 * 60 * 1000); // tolerate clock skew
  cert.validity.notAfter = new Date(now + days * 24 * 60 * 60 * 1000);
}

/**
 * Creates a CA and a server certificate for `127.0.0.1`, `::1`, `localhost` and the given DNS names
 * (the emulator adds its DPS host name, so a client that connects with SNI for it also verifies).
 */
export async function createTlsMaterial(dnsNames: readonly string[] = []): Promise<TlsMaterial> {
  const ca = await rsaKeys();
  const server = ca;
  const caCert = forge.pki.createCertificate();
  caCert.publicKey = ca.publicKey;
  caCert.serialNumber = serial();
  validity(caCert, 30);
  const caSubject = [{ name: "commonName", value: "DPS emulator throwaway CA" }];
  caCert.setSubject(caSubject);
  caCert.setIssuer(caSubject);
  caCert.setExtensions([
    { name: "basicConstraints", cA: true, critical: true },
    { name: "keyUsage", keyCertSign: true, cRLSign: true, critical: true },
    { name: "subjectKeyIdentifier" },
  ]);
  signCertificate(caCert, ca.privatePem);

  const cert = forge.pki.createCertificate();
  cert.publicKey = server.publicKey;
  cert.serialNumber = serial();
  validity(cert, 30);
  cert.setSubject([{ name: "commonName", value: "localhost" }]);
  cert.setIssuer(caSubject);
  const names = ["localhost", ...dnsNames.filter((n) => n !== "localhost")];
  cert.setExtensions([
    { name: "basicConstraints", cA: false },
    { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
    { name: "extKeyUsage", serverAuth: true },
    {
      name: "subjectAltName",
      altNames: [
        ...names.map((value) => ({ type: 2, value })),
        { type: 7, ip: "127.0.0.1" },
        { type: 7, ip: "::1" },
      ],
    },
    { name: "authorityKeyIdentifier", keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  signCertificate(cert, ca.privatePem);

  return {
    caCertificatePem: forge.pki.certificateToPem(caCert),
    certificatePem: forge.pki.certificateToPem(cert),
    privateKeyPem: server.privatePem,
  };
}

/** A certificate and its private key, PEM. */
export interface IssuedCertificate {
  /** Certificate PEM. */
  certificatePem: string;
  /** Private key PEM (PKCS#8). */
  privateKeyPem: string;
}

/** Options of {@link issueCertificate}. */
export interface IssueOptions {
  /** Subject CN (a device's registration id, or a CA's name). */
  commonName: string;
  /** A CA certificate (basic constraints CA:TRUE) rather than a device (client) certificate. */
  ca?: boolean;
  /** The signer; absent: self-signed. */
  issuer?: IssuedCertificate;
  /** Days of validity from now; default 30. */
  days?: number;
}

/**
 * Issues a certificate for tests, demos and device simulations: a CA (self-signed or under `issuer`)
 * or a device client certificate. Not used by the emulator's own server.
 */
export async function issueCertificate(options: IssueOptions): Promise<IssuedCertificate> {
  const keys = await rsaKeys();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serial();
  validity(cert, options.days ?? 30);
  const subject = [{ name: "commonName", value: options.commonName }];
  cert.setSubject(subject);
  const issuerCert = options.issuer && forge.pki.certificateFromPem(options.issuer.certificatePem);
  cert.setIssuer(issuerCert ? issuerCert.subject.attributes : subject);
  cert.setExtensions(
    options.ca
      ? [
          { name: "basicConstraints", cA: true, critical: true },
          { name: "keyUsage", keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
          { name: "subjectKeyIdentifier" },
        ]
      : [
          { name: "basicConstraints", cA: false },
          { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
          { name: "extKeyUsage", clientAuth: true },
        ],
  );
  signCertificate(cert, options.issuer?.privateKeyPem ?? keys.privatePem);
  return { certificatePem: forge.pki.certificateToPem(cert), privateKeyPem: keys.privatePem };
}
