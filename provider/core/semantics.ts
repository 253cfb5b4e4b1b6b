/**
 * The Set semantics of `Set-AzIoTDeviceProvisioningServiceEnrollment` (and `...EnrollmentGroup`) as
 * pure functions: the mapping between the service's wire form and the provider's canonical view, and
 * the merge that changes only what the program manages. No I/O here.
 */
import { randomBytes } from "crypto";
import type { WireForm } from "./kind";
import { REPLACED_PROPERTIES } from "./types";
import type {
  AllocationPolicy,
  AttestationState,
  CertificateSummary,
  EnrolledCertificates,
  EnrollmentInputs,
  EnrollmentView,
  JsonObject,
  ProvisioningStatus,
  ReprovisionPolicy,
} from "./types";
import { canonicalAllocationPolicy, canonicalAttestationType, isObject } from "./checks";
import type { WireAttestation, WireCertificate, WireEnrollment } from "./wire";

export type { WireAttestation, WireCertificate, WireEnrollment } from "./wire";

const WIRE_POLICY: Record<AllocationPolicy, string> = {
  Hashed: "hashed",
  GeoLatency: "geoLatency",
  Static: "static",
  Custom: "custom",
};

const REPROVISION: Record<ReprovisionPolicy, { updateHubAssignment: boolean; migrateDeviceData: boolean }> = {
  reprovisionandmigratedata: { updateHubAssignment: true, migrateDeviceData: true },
  reprovisionandresetdata: { updateHubAssignment: true, migrateDeviceData: false },
  never: { updateHubAssignment: false, migrateDeviceData: false },
};

/** 64 random bytes, base64: what the service and the CLI generate for symmetric keys. */
export function generateSymmetricKey(): string {
  return randomBytes(64).toString("base64");
}

/** The cmdlet's reprovision name for the service's two booleans (either absent counts as true, the default). */
export function reprovisionName(policy: WireEnrollment["reprovisionPolicy"]): ReprovisionPolicy {
  const update = policy?.updateHubAssignment ?? true;
  const migrate = policy?.migrateDeviceData ?? true;
  if (!update) return "never";
  return migrate ? "reprovisionandmigratedata" : "reprovisionandresetdata";
}

function definedOnly<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** The fields of a certificate's `info` kept as an output; undefined when the service gave none. */
export function certificateSummary(info: JsonObject | undefined): CertificateSummary | undefined {
  const text = (key: keyof CertificateSummary) => (typeof info?.[key] === "string" ? info[key] : undefined);
  const sha256Thumbprint = text("sha256Thumbprint");
  if (sha256Thumbprint === undefined) return undefined;
  return {
    sha256Thumbprint,
    sha1Thumbprint: text("sha1Thumbprint") ?? "",
    subjectName: text("subjectName") ?? "",
    notAfterUtc: text("notAfterUtc") ?? "",
  };
}

/** The `certificates` output of an X.509 enrollment's certificates; undefined when none has `info`. */
function enrolledCertificates(certs: {
  primary?: WireCertificate;
  secondary?: WireCertificate;
}): EnrolledCertificates | undefined {
  const summary = definedOnly({
    primary: certificateSummary(certs.primary?.info),
    secondary: certificateSummary(certs.secondary?.info),
  });
  return Object.keys(summary).length > 0 ? summary : undefined;
}

/**
 * The canonical view of a service enrollment. `known` supplies the secrets the service does not
 * return (symmetric keys from GET, certificates), taken only when the attestation type is the same.
 */
export function fromWire(
  wire: WireEnrollment,
  known: AttestationState | undefined,
  form: WireForm,
): EnrollmentView {
  const type = canonicalAttestationType(wire.attestation?.type) ?? "symmetricKey";
  const same = known && known.type === type ? known : undefined;
  const attestation: AttestationState = { type };
  let certificates: EnrolledCertificates | undefined;
  if (type === "symmetricKey") {
    attestation.primaryKey = wire.attestation.symmetricKey?.primaryKey || same?.primaryKey;
    attestation.secondaryKey = wire.attestation.symmetricKey?.secondaryKey || same?.secondaryKey;
  } else if (type === "tpm") {
    attestation.endorsementKey = wire.attestation.tpm?.endorsementKey || same?.endorsementKey;
    attestation.storageRootKey = wire.attestation.tpm?.storageRootKey || same?.storageRootKey;
  } else {
    const x509 = wire.attestation.x509 ?? {};
    if (x509.caReferences?.primary) {
      attestation.primaryCaName = x509.caReferences.primary;
      attestation.secondaryCaName = x509.caReferences.secondary || undefined;
    } else {
      const certs = x509.signingCertificates ?? x509.clientCertificates;
      // Groups have only signing certificates: there is no choice to report.
      if (!form.signingCertificates) attestation.rootCertificate = x509.signingCertificates !== undefined;
      attestation.primaryCertificate = certs?.primary?.certificate || same?.primaryCertificate;
      attestation.secondaryCertificate =
        certs?.secondary?.certificate || (certs?.secondary ? same?.secondaryCertificate : undefined);
      certificates = certs && enrolledCertificates(certs);
    }
  }
  const policy = wire.allocationPolicy ? canonicalAllocationPolicy(wire.allocationPolicy) : undefined;
  return definedOnly<EnrollmentView>({
    [form.idKey]: wire[form.idKey],
    attestation: definedOnly(attestation),
    deviceId: wire.deviceId || undefined,
    provisioningStatus: (wire.provisioningStatus?.toLowerCase() === "disabled"
      ? "Disabled"
      : "Enabled") as ProvisioningStatus,
    reprovisionPolicy: reprovisionName(wire.reprovisionPolicy),
    edgeEnabled: wire.capabilities?.iotEdge ?? false,
    tags: wire.initialTwin?.tags ?? {},
    desired: wire.initialTwin?.properties?.desired ?? {},
    optionalDeviceInformation: wire.optionalDeviceInformation,
    allocationPolicy: policy,
    iotHubs: wire.iotHubs && (wire.iotHubs.length > 0 || policy) ? [...wire.iotHubs] : undefined,
    iotHubHostName: wire.iotHubHostName || undefined,
    webhookUrl: wire.customAllocationDefinition?.webhookUrl,
    apiVersion: wire.customAllocationDefinition?.apiVersion,
    namespaceName: wire.namespaceName || undefined,
    certificateAuthorityName: wire.certificateAuthorityName || undefined,
    certificatePolicyName: wire.certificatePolicyName || undefined,
    etag: wire.etag,
    createdDateTimeUtc: wire.createdDateTimeUtc,
    lastUpdatedDateTimeUtc: wire.lastUpdatedDateTimeUtc,
    registrationState: isObject(wire.registrationState) ? wire.registrationState : undefined,
    certificates,
  });
}

function wireAttestation(att: AttestationState, form: WireForm): WireAttestation {
  if (att.type === "symmetricKey") {
    return {
      type: "symmetricKey",
      symmetricKey: definedOnly({ primaryKey: att.primaryKey, secondaryKey: att.secondaryKey }),
    };
  }
  if (att.type === "tpm") {
    return {
      type: "tpm",
      tpm: definedOnly({ endorsementKey: att.endorsementKey, storageRootKey: att.storageRootKey }),
    };
  }
  if (att.primaryCaName) {
    return {
      type: "x509",
      x509: { caReferences: definedOnly({ primary: att.primaryCaName, secondary: att.secondaryCaName }) },
    };
  }
  const certs = definedOnly({
    primary: { certificate: att.primaryCertificate },
    secondary: att.secondaryCertificate ? { certificate: att.secondaryCertificate } : undefined,
  });
  return {
    type: "x509",
    x509:
      att.rootCertificate || form.signingCertificates
        ? { signingCertificates: certs }
        : { clientCertificates: certs },
  };
}

/** The wire form of a view, for a PUT. Read-only fields are left out; `etag` only when given. */
export function toWire(view: EnrollmentView, etag: string | undefined, form: WireForm): WireEnrollment {
  const custom =
    view.allocationPolicy === "Custom"
      ? { webhookUrl: view.webhookUrl, apiVersion: view.apiVersion }
      : undefined;
  return definedOnly<WireEnrollment>({
    [form.idKey]: view[form.idKey],
    deviceId: view.deviceId,
    attestation: wireAttestation(view.attestation, form),
    capabilities: { iotEdge: view.edgeEnabled ?? false },
    iotHubHostName: view.iotHubHostName,
    initialTwin: { tags: view.tags ?? {}, properties: { desired: view.desired ?? {} } },
    provisioningStatus: (view.provisioningStatus ?? "Enabled").toLowerCase(),
    reprovisionPolicy: REPROVISION[view.reprovisionPolicy ?? "reprovisionandmigratedata"],
    allocationPolicy: view.allocationPolicy ? WIRE_POLICY[view.allocationPolicy] : undefined,
    // No hubs go out absent, as the service takes them (recorded), never as `[]`.
    iotHubs: view.allocationPolicy && view.iotHubs?.length ? view.iotHubs : undefined,
    customAllocationDefinition: custom ? definedOnly(custom) : undefined,
    optionalDeviceInformation: view.optionalDeviceInformation,
    // Written back whenever held: a PUT without them would remove the policy reference.
    namespaceName: view.namespaceName,
    certificateAuthorityName: view.certificateAuthorityName,
    certificatePolicyName: view.certificatePolicyName,
    etag,
  });
}

/** What a brand-new enrollment starts from: the Add cmdlet's defaults (twin, iotEdge false, reprovision {true, true}). */
export function emptyView(id: string, type: AttestationState["type"], form: WireForm): EnrollmentView {
  return {
    [form.idKey]: id,
    attestation: { type },
    provisioningStatus: "Enabled",
    reprovisionPolicy: "reprovisionandmigratedata",
    edgeEnabled: false,
    tags: {},
    desired: {},
  };
}

/**
 * Applies the program's inputs to the current enrollment with the cmdlet's Set semantics: every
 * property the program names replaces the current value (tags and desired whole, no deep merge);
 * everything else is kept. Allocation follows the effective policy (given, else current).
 * The attestation type must already match (a type change replaces the enrollment).
 */
export function applySet(current: EnrollmentView, inputs: EnrollmentInputs): EnrollmentView {
  const next: EnrollmentView = { ...current, attestation: mergeAttestation(current.attestation, inputs) };
  for (const key of REPLACED_PROPERTIES) {
    if (inputs[key] !== undefined) (next as unknown as Record<string, unknown>)[key] = inputs[key];
  }
  applyAllocation(next, inputs);
  return next;
}

function mergeAttestation(current: AttestationState, inputs: EnrollmentInputs): AttestationState {
  const given = inputs.attestation as unknown as Record<string, unknown>;
  const merged: AttestationState = { ...current };
  const target = merged as unknown as Record<string, unknown>;
  for (const [key, value] of Object.entries(given)) {
    if (key !== "type" && value !== undefined) target[key] = value;
  }
  if (current.type === "x509") {
    // Certificates and CA names exclude each other: the form the program gives wins whole.
    if (given.primaryCaName !== undefined) {
      delete merged.primaryCertificate;
      delete merged.secondaryCertificate;
      delete merged.rootCertificate;
      if (given.secondaryCaName === undefined) delete merged.secondaryCaName;
    } else if (given.primaryCertificate !== undefined) {
      delete merged.primaryCaName;
      delete merged.secondaryCaName;
    }
  }
  return merged;
}

function applyAllocation(next: EnrollmentView, inputs: EnrollmentInputs): void {
  const touches =
    inputs.allocationPolicy !== undefined ||
    inputs.iotHubs !== undefined ||
    inputs.iotHubHostName !== undefined ||
    inputs.webhookUrl !== undefined ||
    inputs.apiVersion !== undefined;
  if (!touches) return;
  if (inputs.iotHubHostName !== undefined) {
    // The legacy form: one hub, no policy.
    next.iotHubHostName = inputs.iotHubHostName;
    delete next.allocationPolicy;
    delete next.iotHubs;
    delete next.webhookUrl;
    delete next.apiVersion;
    return;
  }
  const policy = inputs.allocationPolicy ?? next.allocationPolicy;
  if (policy) next.allocationPolicy = policy;
  if (inputs.iotHubs !== undefined) next.iotHubs = [...inputs.iotHubs];
  delete next.iotHubHostName;
  if (policy === "Custom") {
    next.webhookUrl = inputs.webhookUrl ?? next.webhookUrl;
    next.apiVersion = inputs.apiVersion ?? next.apiVersion;
  } else {
    delete next.webhookUrl;
    delete next.apiVersion;
  }
}

/** The view a create sends: the Add defaults with the program's inputs, keys generated when not given. */
export function createView(
  inputs: EnrollmentInputs,
  generateKey: (() => string) | undefined,
  form: WireForm,
): EnrollmentView {
  // No default kind: a create that skipped `check` must not write symmetric keys nobody asked for.
  const type = canonicalAttestationType((inputs.attestation as { type?: unknown } | undefined)?.type);
  if (!type) throw new Error('attestation.type is not valid; use "symmetricKey", "tpm" or "x509".');
  generateKey ??= generateSymmetricKey;
  const base = emptyView(inputs[form.idKey] ?? "", type, form);
  const view = applySet(base, inputs);
  if (type === "symmetricKey" && !view.attestation.primaryKey) {
    view.attestation = { ...view.attestation, primaryKey: generateKey(), secondaryKey: generateKey() };
  }
  return view;
}
