// Certificate signing requests as devices make them, and a device registration over raw HTTPS with
// api-version 2026-11-01 (the device SDKs do not send `csr` yet).
import { generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import forge from "node-forge";
import { createSasToken, type EmulatorHandle } from "../../emulator";
import { raw, type RawResponse } from "../emulator/helpers";

/** A CSR (base64 DER) and the key pair it was made with. */
export interface DeviceCsr {
  /** Base64 DER PKCS#10, as `csr` carries it. */
  csr: string;
  /** The requested public key. */
  publicKey: KeyObject;
}

const { asn1 } = forge;

function node(type: number, constructed: boolean, value: string | forge.asn1.Asn1[]): forge.asn1.Asn1 {
  return asn1.create(asn1.Class.UNIVERSAL, type, constructed, value);
}

/**
 * An ECDSA P-256 CSR for `commonName`, encoded field by field (PKCS#10 / RFC 2986) and signed with
 * node's crypto: the key type most devices use.
 */
export function ecCsr(commonName: string): DeviceCsr {
  const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const spki = asn1.fromDer(publicKey.export({ type: "spki", format: "der" }).toString("binary"));
  const name = node(asn1.Type.SEQUENCE, true, [
    node(asn1.Type.SET, true, [
      node(asn1.Type.SEQUENCE, true, [
        node(asn1.Type.OID, false, asn1.oidToDer("2.5.4.3").getBytes()),
        node(asn1.Type.UTF8, false, forge.util.encodeUtf8(commonName)),
      ]),
    ]),
  ]);
  const info = node(asn1.Type.SEQUENCE, true, [
    node(asn1.Type.INTEGER, false, asn1.integerToDer(0).getBytes()),
    name,
    spki,
    asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, []),
  ]);
  const signature = sign("sha256", Buffer.from(asn1.toDer(info).getBytes(), "binary"), privateKey);
  const request = node(asn1.Type.SEQUENCE, true, [
    info,
    node(asn1.Type.SEQUENCE, true, [
      node(asn1.Type.OID, false, asn1.oidToDer("1.2.840.10045.4.3.2").getBytes()),
    ]),
    node(asn1.Type.BITSTRING, false, `\x00${signature.toString("binary")}`),
  ]);
  return { csr: Buffer.from(asn1.toDer(request).getBytes(), "binary").toString("base64"), publicKey };
}

/** An RSA CSR (2048 bits unless `bits` says otherwise) for `commonName` made entirely by node-forge's CSR builder. */
export function forgeRsaCsr(commonName: string, bits = 2048): DeviceCsr {
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: bits });
  const request = forge.pki.createCertificationRequest();
  request.publicKey = forge.pki.publicKeyFromPem(
    publicKey.export({ type: "spki", format: "pem" }).toString(),
  );
  request.setSubject([{ name: "commonName", value: commonName }]);
  const pem = privateKey.export({ type: "pkcs1", format: "pem" }).toString();
  request.sign(forge.pki.privateKeyFromPem(pem) as forge.pki.rsa.PrivateKey, forge.md.sha256.create());
  const der = asn1.toDer(forge.pki.certificationRequestToAsn1(request)).getBytes();
  return { csr: Buffer.from(der, "binary").toString("base64"), publicKey };
}

/** The device SAS of a symmetric-key device (`skn=registration`), valid for an hour. */
export function deviceSas(emu: EmulatorHandle, registrationId: string, key: string): string {
  const expiry = Math.floor(Date.now() / 1000) + 3600;
  return createSasToken(`${emu.idScope}/registrations/${registrationId}`, "registration", key, expiry);
}

/**
 * Registers a symmetric-key device over HTTPS with `body` at `apiVersion` and polls its operation to
 * the end. Returns the register answer when it is not 202, else the last operation status answer.
 */
export async function registerRaw(
  emu: EmulatorHandle,
  registrationId: string,
  key: string,
  body: object,
  apiVersion = "2026-11-01",
): Promise<RawResponse> {
  const authorization = deviceSas(emu, registrationId, key);
  const base = `/${emu.idScope}/registrations/${registrationId}`;
  const started = await raw(emu, `${base}/register?api-version=${apiVersion}`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ registrationId, ...body }),
    authorization,
  });
  if (started.status !== 202) return started;
  const { operationId } = started.json() as { operationId: string };
  for (let i = 0; i < 100; i++) {
    const polled = await raw(emu, `${base}/operations/${operationId}?api-version=${apiVersion}`, {
      authorization,
    });
    if (polled.status !== 202) return polled;
    await new Promise((done) => setTimeout(done, 50));
  }
  throw new Error(`the registration of '${registrationId}' did not finish`);
}
