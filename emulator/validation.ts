// Pure checks of enrollment and enrollment group bodies, mirroring the service's rules. No I/O, no
// clock, no randomness: key generation and timestamps belong to the store.
import { X509Certificate } from "node:crypto";
import { clip, DpsError, ErrorCodes } from "./errors";
import { checkTwinCollection } from "./limits";
import { endorsementKeyProblem } from "./tpm";
import { isObject, type Json, type JsonObject } from "./types";

const REGISTRATION_ID = /^[A-Za-z0-9](?:[A-Za-z0-9:._-]{0,126}[A-Za-z0-9])?$/;
const ALLOCATION_POLICIES = ["hashed", "geoLatency", "static", "custom"];
const ATTESTATION_TYPES = ["tpm", "x509", "symmetricKey"];

function invalid(message: string): DpsError {
  return new DpsError(400, ErrorCodes.invalidEnrollment, message);
}

/**
 * Checks a registration id: 1-128 characters of alphanumerics and `: . _ -`, starting and ending with
 * an alphanumeric. Throws a 400 otherwise.
 */
export function validateRegistrationId(id: string): void {
  if (!REGISTRATION_ID.test(id)) {
    throw new DpsError(
      400,
      ErrorCodes.invalidRegistrationId,
      `The registration id '${clip(id)}' is invalid: use up to 128 alphanumeric characters and ': . _ -', ` +
        "starting and ending with an alphanumeric character.",
    );
  }
}

/** The store key for a registration id: ids are case-insensitive. */
export function registrationKey(id: string): string {
  return id.toLowerCase();
}

function optionalString(obj: JsonObject, field: string, path: string): string | undefined {
  const value = obj[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw invalid(`'${path}' must be a string.`);
  return value;
}

function requiredString(obj: JsonObject, field: string, path: string): string {
  const value = optionalString(obj, field, path);
  if (value === undefined || value.trim() === "") throw invalid(`'${path}' is required.`);
  return value;
}

function optionalObject(obj: JsonObject, field: string, path: string): JsonObject | undefined {
  const value = obj[field];
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw invalid(`'${path}' must be an object.`);
  return value;
}

/** `{certificate: "..."}`; the certificate text is stored as given (no parsing). */
function certificate(obj: JsonObject | undefined, path: string, required: boolean): JsonObject | undefined {
  if (obj === undefined) {
    if (required) throw invalid(`'${path}' is required.`);
    return undefined;
  }
  return { certificate: requiredString(obj, "certificate", `${path}.certificate`) };
}

function symmetricKeyValue(obj: JsonObject, field: string): string | undefined {
  const value = optionalString(obj, field, `attestation.symmetricKey.${field}`);
  if (value === undefined || value === "") return undefined;
  const bytes = Buffer.from(value, "base64");
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value) || bytes.length < 16 || bytes.length > 64) {
    throw invalid(`'attestation.symmetricKey.${field}' must be base64 of 16 to 64 bytes.`);
  }
  return value;
}

/**
 * Parses a certificate (PEM or base64 DER) and returns what the service reports about it
 * (`X509CertificateInfo`). Throws a 400 when it is not a certificate. A signing certificate that
 * cannot sign (no CA flag) is accepted, as the real DPS accepts a self-signed certificate without
 * extensions (recorded); its devices are refused at registration, where their chain is verified.
 */
function checkedCertificateInfo(text: string, path: string): JsonObject {
  const cert = parseCertificate(text);
  if (cert === undefined) throw invalid(`'${path}' is not an X.509 certificate (PEM or base64 DER).`);
  return certificateInfo(cert);
}

/** What the service reports about a certificate (`X509CertificateInfo`). */
export function certificateInfo(cert: X509Certificate): JsonObject {
  return {
    subjectName: cert.subject.replace(/\n/g, ", "),
    sha1Thumbprint: cert.fingerprint.replace(/:/g, ""),
    sha256Thumbprint: cert.fingerprint256.replace(/:/g, ""),
    issuerName: cert.issuer.replace(/\n/g, ", "),
    notBeforeUtc: new Date(cert.validFrom).toISOString(),
    notAfterUtc: new Date(cert.validTo).toISOString(),
    serialNumber: cert.serialNumber,
    version: 3,
  };
}

/** A certificate given as PEM or base64 DER, parsed; undefined when the text is not one. */
export function parseCertificate(text: string): X509Certificate | undefined {
  const pem = /-----BEGIN CERTIFICATE-----/.test(text);
  try {
    return new X509Certificate(pem ? text : Buffer.from(text.replace(/\s+/g, ""), "base64"));
  } catch {
    return undefined;
  }
}

/**
 * `{certificate, info}` of a signing or device certificate, validated; undefined when absent and
 * optional.
 */
function parsedCertificate(
  obj: JsonObject | undefined,
  path: string,
  required: boolean,
): JsonObject | undefined {
  const cert = certificate(obj, path, required);
  if (cert === undefined) return undefined;
  const text = String(cert.certificate);
  return { certificate: text, info: checkedCertificateInfo(text, `${path}.certificate`) };
}

/** The x509 attestation of an enrollment group: signing certificates or CA references. */
function groupX509(x509: JsonObject): JsonObject {
  if (x509.clientCertificates !== undefined && x509.clientCertificates !== null) {
    throw invalid(
      "'attestation.x509.clientCertificates' is not valid for enrollment groups: give the signing (root or intermediate) certificate in 'signingCertificates', or 'caReferences'.",
    );
  }
  const signing = optionalObject(x509, "signingCertificates", "attestation.x509.signingCertificates");
  const ca = optionalObject(x509, "caReferences", "attestation.x509.caReferences");
  if (signing && ca) {
    throw invalid(
      "Give either 'attestation.x509.signingCertificates' or 'attestation.x509.caReferences', not both.",
    );
  }
  if (ca) return { caReferences: caReferences(ca) };
  if (!signing) {
    throw invalid(
      "'attestation.x509.signingCertificates.primary' or 'attestation.x509.caReferences.primary' is required.",
    );
  }
  const base = "attestation.x509.signingCertificates";
  const certs: JsonObject = {
    primary: parsedCertificate(
      optionalObject(signing, "primary", `${base}.primary`),
      `${base}.primary`,
      true,
    ) as JsonObject,
  };
  const secondary = parsedCertificate(
    optionalObject(signing, "secondary", `${base}.secondary`),
    `${base}.secondary`,
    false,
  );
  if (secondary) certs.secondary = secondary;
  return { signingCertificates: certs };
}

function caReferences(ca: JsonObject): JsonObject {
  const refs: JsonObject = {
    primary: requiredString(ca, "primary", "attestation.x509.caReferences.primary"),
  };
  const secondary = optionalString(ca, "secondary", "attestation.x509.caReferences.secondary");
  if (secondary) refs.secondary = secondary;
  return refs;
}

function attestation(body: JsonObject, group: boolean): JsonObject {
  const att = optionalObject(body, "attestation", "attestation");
  if (att === undefined) throw invalid("'attestation' is required.");
  const type = att.type;
  if (typeof type !== "string" || !ATTESTATION_TYPES.includes(type)) {
    throw invalid("'attestation.type' must be one of tpm, x509, symmetricKey.");
  }
  if (group && type === "tpm") {
    throw invalid("'attestation.type' tpm is not supported for enrollment groups: use x509 or symmetricKey.");
  }
  if (group && type === "x509") {
    return { type, x509: groupX509(optionalObject(att, "x509", "attestation.x509") ?? {}) };
  }
  // Only the sub-object of the given type is kept; the others are dropped as the service ignores them.
  if (type === "tpm") {
    const tpm = optionalObject(att, "tpm", "attestation.tpm") ?? {};
    const endorsementKey = requiredString(tpm, "endorsementKey", "attestation.tpm.endorsementKey");
    const problem = endorsementKeyProblem(endorsementKey);
    if (problem) {
      throw invalid(
        `'attestation.tpm.endorsementKey' is not a valid TPM endorsement key (${problem}): give the base64 of the TPM's EK public area (TPM2B_PUBLIC), as tpm2_readpublic or the TPM vendor tool prints it.`,
      );
    }
    const result: JsonObject = { endorsementKey };
    const srk = optionalString(tpm, "storageRootKey", "attestation.tpm.storageRootKey");
    if (srk) result.storageRootKey = srk;
    return { type, tpm: result };
  }
  if (type === "x509") {
    const x509 = optionalObject(att, "x509", "attestation.x509") ?? {};
    if (x509.signingCertificates !== undefined && x509.signingCertificates !== null) {
      throw invalid("'attestation.x509.signingCertificates' is only valid for enrollment groups.");
    }
    const client = optionalObject(x509, "clientCertificates", "attestation.x509.clientCertificates");
    const ca = optionalObject(x509, "caReferences", "attestation.x509.caReferences");
    if (client && ca) {
      throw invalid(
        "Give either 'attestation.x509.clientCertificates' or 'attestation.x509.caReferences', not both.",
      );
    }
    if (ca) return { type, x509: { caReferences: caReferences(ca) } };
    if (!client) {
      throw invalid(
        "'attestation.x509.clientCertificates.primary' or 'attestation.x509.caReferences.primary' is required.",
      );
    }
    const certs: JsonObject = {
      primary: parsedCertificate(
        optionalObject(client, "primary", "attestation.x509.clientCertificates.primary"),
        "attestation.x509.clientCertificates.primary",
        true,
      ) as JsonObject,
    };
    const secondary = parsedCertificate(
      optionalObject(client, "secondary", "attestation.x509.clientCertificates.secondary"),
      "attestation.x509.clientCertificates.secondary",
      false,
    );
    if (secondary) certs.secondary = secondary;
    return { type, x509: { clientCertificates: certs } };
  }
  const sym = optionalObject(att, "symmetricKey", "attestation.symmetricKey") ?? {};
  const primaryKey = symmetricKeyValue(sym, "primaryKey");
  const secondaryKey = symmetricKeyValue(sym, "secondaryKey");
  if ((primaryKey === undefined) !== (secondaryKey === undefined)) {
    throw invalid(
      "Give both 'attestation.symmetricKey.primaryKey' and 'secondaryKey', or neither to have them generated.",
    );
  }
  return { type, symmetricKey: primaryKey && secondaryKey ? { primaryKey, secondaryKey } : {} };
}

function hubList(body: JsonObject, linkedHubs: readonly string[]): string[] | undefined {
  const value = body.iotHubs;
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((h) => typeof h !== "string")) {
    throw invalid("'iotHubs' must be an array of IoT hub host names.");
  }
  const hubs = value as string[];
  for (const hub of hubs) checkLinked(hub, linkedHubs, "iotHubs");
  return hubs;
}

function checkLinked(hub: string, linkedHubs: readonly string[], field: string): void {
  if (!linkedHubs.some((h) => h.toLowerCase() === hub.toLowerCase())) {
    throw invalid(`'${field}': the IoT hub '${hub}' is not linked to this Device Provisioning Service.`);
  }
}

/** An optional twin collection (tags, desired properties, device information), within the twin limits. */
function jsonObjectField(obj: JsonObject, field: string, path: string): JsonObject | undefined {
  const value = optionalObject(obj, field, path);
  if (value) checkTwinCollection(value, path);
  return value;
}

/**
 * The `initialTwin` of `body` (an enrollment, or a custom allocation webhook's answer) as it is kept:
 * tags and desired properties, each within the twin limits; undefined when absent.
 *
 * @throws DpsError 400 naming the property that breaks a rule.
 */
export function validInitialTwin(body: JsonObject): JsonObject | undefined {
  const twin = optionalObject(body, "initialTwin", "initialTwin");
  if (twin === undefined) return undefined;
  const result: JsonObject = {};
  const tags = jsonObjectField(twin, "tags", "initialTwin.tags");
  if (tags) result.tags = tags;
  const props = optionalObject(twin, "properties", "initialTwin.properties");
  if (props) {
    const desired = jsonObjectField(props, "desired", "initialTwin.properties.desired");
    result.properties = desired ? { desired } : {};
  }
  return result;
}

/**
 * Validates a PUT body for `/enrollments/{pathId}` and returns the enrollment as it will be stored,
 * with defaults applied and read-only or unknown fields dropped. Symmetric keys, when absent, come
 * back as `symmetricKey: {}` for the caller to fill in.
 *
 * @param body - The parsed request body.
 * @param pathId - The registration id from the URL.
 * @param linkedHubs - Host names of the hubs linked to the DPS.
 * @throws DpsError 400 on the first rule broken.
 */
export function validateEnrollment(body: Json, pathId: string, linkedHubs: readonly string[]): JsonObject {
  const checked = checkId(body, "registrationId", pathId);
  const result: JsonObject = { registrationId: checked.id };
  const deviceId = optionalString(checked.body, "deviceId", "deviceId");
  if (deviceId !== undefined) {
    if (deviceId.length === 0 || deviceId.length > 128)
      throw invalid("'deviceId' must be 1 to 128 characters.");
    result.deviceId = deviceId;
  }
  result.attestation = attestation(checked.body, false);
  sharedFields(checked.body, result, linkedHubs);
  const info = jsonObjectField(checked.body, "optionalDeviceInformation", "optionalDeviceInformation");
  if (info) result.optionalDeviceInformation = info;
  return result;
}

/**
 * Validates a PUT body for `/enrollmentGroups/{pathId}` like {@link validateEnrollment}: no device id,
 * no TPM, and x509 by signing certificates (parsed as certificates) or CA references.
 */
export function validateEnrollmentGroup(
  body: Json,
  pathId: string,
  linkedHubs: readonly string[],
): JsonObject {
  const checked = checkId(body, "enrollmentGroupId", pathId);
  const result: JsonObject = { enrollmentGroupId: checked.id };
  result.attestation = attestation(checked.body, true);
  sharedFields(checked.body, result, linkedHubs);
  return result;
}

/** The body as an object and the id it names, which must be valid and match the path. */
function checkId(body: Json, idField: string, pathId: string): { body: JsonObject; id: string } {
  if (!isObject(body))
    throw new DpsError(400, ErrorCodes.malformedBody, "The request body must be a JSON object.");
  validateRegistrationId(pathId);
  const bodyId = optionalString(body, idField, idField);
  if (bodyId !== undefined && registrationKey(bodyId) !== registrationKey(pathId)) {
    throw new DpsError(
      400,
      ErrorCodes.invalidRegistrationId,
      `The ${idField} in the body ('${bodyId}') does not match the one in the path ('${pathId}').`,
    );
  }
  return { body, id: bodyId ?? pathId };
}

/** `field` of `obj` as a boolean when sent; undefined when absent or null. */
function sentBoolean(obj: JsonObject, field: string, path: string): boolean | undefined {
  const value = obj[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "boolean") throw invalid(`'${path}' must be a boolean.`);
  return value;
}

/** The booleans of `fields` that `obj` (at `path`) sends, and only those. */
function sentBooleans(obj: JsonObject, fields: readonly string[], path: string): JsonObject {
  const out: JsonObject = {};
  for (const field of fields) {
    const value = sentBoolean(obj, field, `${path}.${field}`);
    if (value !== undefined) out[field] = value;
  }
  return out;
}

/**
 * Fields both kinds have: capabilities, legacy hub, initial twin, status, reprovisioning, allocation.
 * Nothing is filled in (recordings of the real DPS): `capabilities` and `reprovisionPolicy` are kept
 * only when sent, and `provisioningStatus` is kept as sent, `null` when null or absent (devices treat
 * it as enabled).
 */
function sharedFields(body: JsonObject, result: JsonObject, linkedHubs: readonly string[]): void {
  const caps = optionalObject(body, "capabilities", "capabilities");
  if (caps) result.capabilities = sentBooleans(caps, ["iotEdge"], "capabilities");

  const legacyHub = optionalString(body, "iotHubHostName", "iotHubHostName");
  if (legacyHub) {
    checkLinked(legacyHub, linkedHubs, "iotHubHostName");
    result.iotHubHostName = legacyHub;
  }
  const twin = validInitialTwin(body);
  if (twin) result.initialTwin = twin;

  const status = body.provisioningStatus ?? null;
  if (status !== null && status !== "enabled" && status !== "disabled") {
    throw invalid("'provisioningStatus' must be 'enabled' or 'disabled'.");
  }
  result.provisioningStatus = status;

  const repro = optionalObject(body, "reprovisionPolicy", "reprovisionPolicy");
  if (repro) {
    result.reprovisionPolicy = sentBooleans(
      repro,
      ["updateHubAssignment", "migrateDeviceData"],
      "reprovisionPolicy",
    );
  }

  const policy = optionalString(body, "allocationPolicy", "allocationPolicy");
  if (policy !== undefined && !ALLOCATION_POLICIES.includes(policy)) {
    throw invalid("'allocationPolicy' must be one of hashed, geoLatency, static, custom.");
  }
  const hubs = hubList(body, linkedHubs);
  const custom = optionalObject(body, "customAllocationDefinition", "customAllocationDefinition");
  // Static with no hubs is accepted (recorded): devices land on the DPS's (first) linked hub.
  if (policy === "static" && hubs !== undefined && hubs.length > 1) {
    throw invalid("At most one IoT hub may be given in 'iotHubs' when 'allocationPolicy' is static.");
  }
  if (policy === "custom") {
    if (custom === undefined) {
      throw invalid("'customAllocationDefinition' is required when 'allocationPolicy' is custom.");
    }
    const webhookUrl = requiredString(custom, "webhookUrl", "customAllocationDefinition.webhookUrl");
    const apiVersion = requiredString(custom, "apiVersion", "customAllocationDefinition.apiVersion");
    if (!/^https:\/\/[^\s/]+/i.test(webhookUrl)) {
      throw invalid("'customAllocationDefinition.webhookUrl' must be an https URL.");
    }
    result.customAllocationDefinition = { webhookUrl, apiVersion };
  } else if (custom !== undefined) {
    throw invalid("'customAllocationDefinition' is only allowed when 'allocationPolicy' is custom.");
  }
  if (policy !== undefined) result.allocationPolicy = policy;
  if (hubs !== undefined) result.iotHubs = hubs;
}
