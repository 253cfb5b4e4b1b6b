// Who a registering device is: the enrollment (or enrollment group) its credentials prove it belongs to.
import { createHmac, type X509Certificate } from "node:crypto";
import { verifyDeviceSas } from "../auth";
import { DpsError, ErrorCodes } from "../errors";
import type { EnrollmentStore } from "../store";
import { isObject, type JsonObject } from "../types";
import { parseCertificate } from "../validation";
import { referencedCas, type CaRegistry } from "./cas";
import { MAX_CHAIN_CERTIFICATES, verifyChain } from "./chain";

/** What a device presents when it registers. */
export interface DeviceCredentials {
  /** The DPS's ID scope (checked by the caller against the path). */
  idScope: string;
  /** Registration id from the path. */
  registrationId: string;
  /** The `Authorization` header, for symmetric-key devices. */
  authorization?: string;
  /** The TLS client certificate chain the device presented, leaf first; empty when none. */
  chain: readonly X509Certificate[];
  /** True when the request body carries `tpm` (a TPM device). */
  tpm: boolean;
}

/** The record a device was admitted by. */
export interface Admission {
  /** The individual enrollment or enrollment group, keys included. */
  record: JsonObject;
  /** Set when admitted by an enrollment group. */
  enrollmentGroupId?: string;
  /** How the device proved itself. */
  attestation: "symmetricKey" | "x509" | "tpm";
  /** The device certificate (X.509 devices). */
  certificate?: X509Certificate;
  /** TPM devices: the activation blob of their key, which the final registration state carries. */
  authenticationKey?: string;
}

/** The service answers every refused device registration with 401 and this code. */
function refused(message: string): DpsError {
  return new DpsError(401, ErrorCodes.unauthorized, message);
}

/** The device key of a symmetric-key group member: HMAC-SHA256(group key, registration id), base64. */
export function derivedDeviceKey(groupKey: string, registrationId: string): string {
  return createHmac("sha256", Buffer.from(groupKey, "base64")).update(registrationId).digest("base64");
}

function symmetricKeys(record: JsonObject): string[] {
  const att = isObject(record.attestation) ? record.attestation : {};
  const sym = isObject(att.symmetricKey) ? att.symmetricKey : {};
  return [sym.primaryKey, sym.secondaryKey].filter((k): k is string => typeof k === "string" && k !== "");
}

function attestationType(record: JsonObject): unknown {
  return isObject(record.attestation) ? record.attestation.type : undefined;
}

function certificatesOf(
  record: JsonObject,
  field: "clientCertificates" | "signingCertificates",
): X509Certificate[] {
  const att = isObject(record.attestation) ? record.attestation : {};
  const x509 = isObject(att.x509) ? att.x509 : {};
  const certs = isObject(x509[field]) ? x509[field] : {};
  return [certs.primary, certs.secondary]
    .map((c) =>
      isObject(c) && typeof c.certificate === "string" ? parseCertificate(c.certificate) : undefined,
    )
    .filter((c): c is X509Certificate => c !== undefined);
}

/** The CA names of an enrollment's or group's `x509.caReferences` (primary, then secondary). */
function caReferenceNames(record: JsonObject): string[] {
  const att = isObject(record.attestation) ? record.attestation : {};
  const x509 = isObject(att.x509) ? att.x509 : {};
  const refs = isObject(x509.caReferences) ? x509.caReferences : {};
  return [refs.primary, refs.secondary].filter((r): r is string => typeof r === "string" && r !== "");
}

/** The end of a refusal naming CA references the DPS does not hold; empty when there are none. */
function missingCas(names: readonly string[]): string {
  if (names.length === 0) return "";
  const list = names.map((n) => `'${n}'`).join(", ");
  return ` CA certificates referenced but not held by this DPS: ${list} (start the emulator with --ca NAME=PEMFILE).`;
}

function commonName(cert: X509Certificate): string | undefined {
  return /(?:^|\n)CN=([^\n]*)/.exec(cert.subject)?.[1];
}

function isCurrent(cert: X509Certificate, now: Date): boolean {
  return new Date(cert.validFrom) <= now && now <= new Date(cert.validTo);
}

/**
 * Whether the presented chain validates against one of `anchors` (RFC 5280 rules: see `verifyChain`);
 * when none admits it, `fault` says why a chain that did reach an anchor was refused.
 */
function validated(
  chain: readonly X509Certificate[],
  anchors: readonly X509Certificate[],
  now: Date,
): { ok: boolean; fault?: string } {
  let fault: string | undefined;
  for (const anchor of anchors) {
    const verdict = verifyChain(chain, anchor, now);
    if (verdict.ok) return { ok: true };
    if (verdict.reachedAnchor) fault ??= verdict.reason;
  }
  return { ok: false, fault };
}

/** Refuses a chain longer than {@link MAX_CHAIN_CERTIFICATES}, whatever admits the device. */
function checkChainLength(chain: readonly X509Certificate[]): void {
  if (chain.length > MAX_CHAIN_CERTIFICATES) {
    throw refused(
      `Unauthorized: the TLS client certificate chain has more than ${MAX_CHAIN_CERTIFICATES} certificates; ` +
        "present the device certificate and the CA certificates above it only.",
    );
  }
}

/** " (why)." when a chain reached an anchor but broke a rule, else ".". */
function because(fault: string | undefined, anchor: string): string {
  return fault ? ` (the chain to ${anchor} is invalid: ${fault}).` : ".";
}

function checkEnabled(record: JsonObject, what: string): void {
  if (record.provisioningStatus === "disabled") throw refused(`Unauthorized: ${what} is disabled.`);
}

function admitIndividual(
  enrollment: JsonObject,
  device: DeviceCredentials,
  now: Date,
  cas: CaRegistry,
): Admission {
  const id = String(enrollment.registrationId);
  const type = attestationType(enrollment);
  if (type === "tpm") {
    throw refused(
      `Unauthorized: the enrollment '${id}' uses TPM attestation, which the emulator does not emulate.`,
    );
  }
  if (type === "symmetricKey") {
    if (!device.authorization) {
      throw refused(
        `Unauthorized: the enrollment '${id}' uses symmetric keys; send a SharedAccessSignature.`,
      );
    }
    verifyDeviceSas(device.authorization, device, symmetricKeys(enrollment));
    checkEnabled(enrollment, `the enrollment '${id}'`);
    return { record: enrollment, attestation: "symmetricKey" };
  }
  const leaf = device.chain[0];
  if (!leaf)
    throw refused(
      `Unauthorized: the enrollment '${id}' uses X.509; present its client certificate over TLS.`,
    );
  checkChainLength(device.chain);
  const enrolled = certificatesOf(enrollment, "clientCertificates");
  if (enrolled.length === 0) {
    // CA references: the chain must lead to a named CA the DPS holds.
    const { found, unknown } = referencedCas(caReferenceNames(enrollment), cas);
    const { ok, fault } = validated(device.chain, found, now);
    if (!ok) {
      throw refused(
        `Unauthorized: the certificate presented does not chain to a CA certificate the enrollment '${id}' references` +
          because(fault, "the referenced CA") +
          missingCas(unknown),
      );
    }
  } else if (!enrolled.some((c) => c.fingerprint256 === leaf.fingerprint256)) {
    throw refused(`Unauthorized: the certificate presented is not the one enrolled for '${id}'.`);
  }
  if (commonName(leaf)?.toLowerCase() !== id.toLowerCase()) {
    throw refused(`Unauthorized: the certificate's CN must be the registration id '${id}'.`);
  }
  if (!isCurrent(leaf, now))
    throw refused("Unauthorized: the device certificate is expired or not yet valid.");
  checkEnabled(enrollment, `the enrollment '${id}'`);
  return { record: enrollment, attestation: "x509", certificate: leaf };
}

function admitByGroup(
  store: EnrollmentStore,
  device: DeviceCredentials,
  now: Date,
  cas: CaRegistry,
): Admission {
  const groups = store.groups.list();
  if (device.authorization) {
    for (const group of groups.filter((g) => attestationType(g) === "symmetricKey")) {
      const keys = symmetricKeys(group).map((k) => derivedDeviceKey(k, device.registrationId));
      try {
        verifyDeviceSas(device.authorization, device, keys);
      } catch {
        continue;
      }
      const groupId = String(group.enrollmentGroupId);
      checkEnabled(group, `the enrollment group '${groupId}'`);
      return { record: group, enrollmentGroupId: groupId, attestation: "symmetricKey" };
    }
    const direct = groups.some((g) => {
      try {
        verifyDeviceSas(device.authorization as string, device, symmetricKeys(g));
        return true;
      } catch {
        return false;
      }
    });
    if (direct) {
      throw refused(
        "Unauthorized: the token is signed with an enrollment group's key; a device signs with its own key, " +
          "derived from the group key and its registration id (HMAC-SHA256).",
      );
    }
    throw refused(
      `Unauthorized: no enrollment admits the registration id '${device.registrationId}' with this key.`,
    );
  }
  const leaf = device.chain[0];
  if (leaf) {
    checkChainLength(device.chain);
    const unknownCas = new Set<string>();
    let refusal: string | undefined;
    for (const group of groups.filter((g) => attestationType(g) === "x509")) {
      // A CA reference admits like a signing certificate; a name the DPS does not hold admits nobody.
      const { found, unknown } = referencedCas(caReferenceNames(group), cas);
      unknown.forEach((name) => unknownCas.add(name));
      const roots = [...certificatesOf(group, "signingCertificates"), ...found];
      const { ok, fault } = validated(device.chain, roots, now);
      const groupId = String(group.enrollmentGroupId);
      if (!ok) {
        if (fault) refusal ??= because(fault, `the enrollment group '${groupId}'`);
        continue;
      }
      if (commonName(leaf)?.toLowerCase() !== device.registrationId.toLowerCase()) {
        throw refused(
          `Unauthorized: the certificate's CN must be the registration id '${device.registrationId}'.`,
        );
      }
      checkEnabled(group, `the enrollment group '${groupId}'`);
      return { record: group, enrollmentGroupId: groupId, attestation: "x509", certificate: leaf };
    }
    throw refused(
      "Unauthorized: the certificate presented is not enrolled and does not chain to an enrollment group's " +
        "signing certificate or CA reference" +
        (refusal ?? ".") +
        missingCas([...unknownCas]),
    );
  }
  throw refused("Unauthorized: send a SharedAccessSignature or present a client certificate over TLS.");
}

/**
 * Finds the record that admits a registering device and checks its credentials. An individual
 * enrollment takes precedence over any group for the same registration id.
 *
 * `cas` are the DPS's verified CA certificates, which `caReferences` name.
 *
 * @throws DpsError 401 when nothing admits the device, or it is disabled; TPM devices are refused
 *   here (the device routes admit them with `admitTpm`, which answers the service's challenge).
 */
export function admitDevice(
  store: EnrollmentStore,
  device: DeviceCredentials,
  now = new Date(),
  cas: CaRegistry = new Map(),
): Admission {
  if (device.tpm) {
    throw refused(
      "Unauthorized: TPM attestation is not emulated; use symmetric keys or X.509 with the emulator.",
    );
  }
  const enrollment = store.get(device.registrationId);
  if (enrollment) return admitIndividual(enrollment, device, now, cas);
  return admitByGroup(store, device, now, cas);
}
