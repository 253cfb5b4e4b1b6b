/**
 * The `check` rules every kind shares: every rule and error text of the cmdlets, plus the service's
 * own input rules, as pure functions from raw inputs to canonical inputs and failures. A kind adds its
 * own rules through {@link CheckSpec}. Values unknown during preview are skipped, never reported.
 */
import { parseConnectionString } from "./connectionString";
import { isRequestTimeout, MAX_REQUEST_TIMEOUT_S } from "./deadline";
import { ADR_PROPERTIES, ALLOCATION_PROPERTIES, RECORD_PROPERTIES } from "./types";
import type {
  AllocationPolicy,
  AttestationType,
  EnrollmentInputs,
  IdKey,
  ProvisioningStatus,
  ReprovisionPolicy,
} from "./types";

/** The engine's placeholder for a value not known until apply (`pulumi.runtime.unknownValue`). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** A rejected input: the property and what is wrong with it, with the fix. */
export interface CheckFailure {
  /** The input property, dotted for nested ones (`attestation.primaryKey`). */
  property: string;
  /** What is wrong and how to fix it. */
  reason: string;
}

/** The result of {@link checkInputs}. */
export interface CheckOutcome {
  /** The inputs with enums in canonical spelling; unknown values kept as they are. */
  inputs: Record<string, unknown>;
  /** Empty when the inputs are valid (as far as they are known). */
  failures: CheckFailure[];
}

/** Cmdlet texts, kept verbatim so users searching for them find this provider's behaviour. */
export const CMDLET_MESSAGES = {
  hostNameWithPolicy: '"IotHubHostName" is not required when allocation-policy is defined.',
  hostNameWithHubs: '"IotHubHostName" is not required when IotHub is defined.',
  staticOneHub: "Please provide only one hub when allocation-policy is defined as Static.",
  customUrl: "Please provide an Azure function url when allocation-policy is defined as Custom.",
  customApiVersion:
    "Please provide an Azure function api-version when allocation-policy is defined as Custom.",
  hubNeedsPolicy: "Please provide allocation policy.",
} as const;

const PROVISIONING_STATUS: Record<string, ProvisioningStatus> = { enabled: "Enabled", disabled: "Disabled" };
const REPROVISION_POLICY: Record<string, ReprovisionPolicy> = {
  reprovisionandmigratedata: "reprovisionandmigratedata",
  reprovisionandresetdata: "reprovisionandresetdata",
  never: "never",
};
const ALLOCATION_POLICY: Record<string, AllocationPolicy> = {
  hashed: "Hashed",
  geolatency: "GeoLatency",
  static: "Static",
  custom: "Custom",
};
const ATTESTATION_TYPE: Record<string, AttestationType> = {
  symmetrickey: "symmetricKey",
  tpm: "tpm",
  x509: "x509",
};
/** Registration and group ids: up to 128 of `A-Z a-z 0-9 : . _ -`, a letter or digit first and last. */
const RECORD_ID = /^[A-Za-z0-9](?:[A-Za-z0-9:._-]{0,126}[A-Za-z0-9])?$/;

/** Whether `value` is a valid registration or group id (see RECORD_ID). */
export function isRecordId(value: unknown): value is string {
  return typeof value === "string" && RECORD_ID.test(value);
}
const HOST_NAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Twin limits of IoT Hub, which DPS passes the initial twin to. */
export const TWIN_LIMITS = {
  tagsBytes: 8 * 1024,
  desiredBytes: 32 * 1024,
  deviceInformationBytes: 8 * 1024,
  depth: 10,
};

function isHttpsUrl(value: unknown): boolean {
  try {
    return typeof value === "string" && new URL(value).protocol === "https:";
  } catch {
    return false;
  }
}

/** True when `value` is, or contains, a value unknown during preview. */
export function isUnknown(value: unknown): boolean {
  if (value === UNKNOWN) return true;
  if (Array.isArray(value)) return value.some(isUnknown);
  if (value !== null && typeof value === "object") return Object.values(value).some(isUnknown);
  return false;
}

/** True for a plain object (not null, not an array). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function enumValue<T>(table: Record<string, T>, value: unknown): T | undefined {
  return typeof value === "string" ? table[value.toLowerCase()] : undefined;
}

/** Reports a rule broken: the property and what to do. */
export type Fail = (property: string, reason: string) => void;

/** What a kind adds to the shared rules. */
export interface CheckSpec {
  /** The resource's class name, for messages. */
  resource: string;
  /** The id property. */
  idKey: IdKey;
  /** The kind's own input properties besides the shared ones. */
  inputs: readonly string[];
  /** The attestation types the kind takes, each with its fields. */
  attestations: Partial<Record<AttestationType, readonly string[]>>;
  /** The kind's own rules, on the raw inputs, after the shared ones. */
  rules(raw: Record<string, unknown>, fail: Fail): void;
  /** The kind's own attestation rules, once its type is known and allowed. */
  attestationRules(type: AttestationType, value: Record<string, unknown>, fail: Fail): void;
}

/** The properties every kind takes, in check order. */
const SHARED_INPUTS = [
  "connection",
  ...RECORD_PROPERTIES,
  ...ALLOCATION_PROPERTIES,
  ...ADR_PROPERTIES,
  "adopt",
];

function jsonDepth(value: unknown): number {
  if (Array.isArray(value)) return 1 + Math.max(0, ...value.map(jsonDepth));
  if (isObject(value)) return 1 + Math.max(0, ...Object.values(value).map(jsonDepth));
  return 0;
}

function isJson(value: unknown): boolean {
  if (value === null || typeof value === "string" || typeof value === "boolean") return true;
  if (typeof value === "number") return Number.isFinite(value);
  if (Array.isArray(value)) return value.every(isJson);
  if (isObject(value)) return Object.values(value).every(isJson);
  return false;
}

/** Canonical spelling of an allocation policy given in any case, or undefined. */
export function canonicalAllocationPolicy(value: unknown): AllocationPolicy | undefined {
  return enumValue(ALLOCATION_POLICY, value);
}

/** Canonical spelling of an attestation type given in any case, or undefined. */
export function canonicalAttestationType(value: unknown): AttestationType | undefined {
  return enumValue(ATTESTATION_TYPE, value);
}

/**
 * Validates raw inputs (as the engine passes them to `check`) with the shared rules and the kind's
 * own, and returns them with enums in the cmdlet's canonical spelling. Pure: no I/O.
 */
export function checkEnrollment(raw: Record<string, unknown>, spec: CheckSpec): CheckOutcome {
  const failures: CheckFailure[] = [];
  const fail: Fail = (property, reason) => failures.push({ property, reason });
  const inputs: Record<string, unknown> = { ...raw };
  const known = (key: string) => raw[key] !== undefined && !isUnknown(raw[key]);
  const allowed = new Set<string>([spec.idKey, ...SHARED_INPUTS, ...spec.inputs]);

  for (const key of Object.keys(raw)) {
    if (!allowed.has(key) && !key.startsWith("__")) {
      fail(
        key,
        `"${key}" is not a property of ${spec.resource}; remove it (see the README for the properties).`,
      );
    }
  }

  checkConnection(raw.connection, fail);

  const idKey = spec.idKey;
  if (raw[idKey] === undefined) {
    fail(idKey, `${idKey} is required.`);
  } else if (known(idKey)) {
    const id = raw[idKey];
    if (typeof id !== "string" || !RECORD_ID.test(id)) {
      fail(
        idKey,
        `${idKey} ${JSON.stringify(id)} is invalid: use 1 to 128 letters, digits and ': . _ -', ` +
          "starting and ending with a letter or digit.",
      );
    }
  }

  if (raw.attestation === undefined) {
    fail("attestation", `attestation is required: ${attestationForms(spec)}.`);
  } else if (!isUnknown(raw.attestation) || isObject(raw.attestation)) {
    inputs.attestation = checkAttestation(raw.attestation, spec, fail);
  }

  spec.rules(raw, fail);
  canonicalEnum(inputs, raw, "provisioningStatus", PROVISIONING_STATUS, fail);
  canonicalEnum(inputs, raw, "reprovisionPolicy", REPROVISION_POLICY, fail);
  canonicalEnum(inputs, raw, "allocationPolicy", ALLOCATION_POLICY, fail);
  for (const key of ["edgeEnabled", "adopt"]) {
    if (known(key) && typeof raw[key] !== "boolean") fail(key, `${key} must be true or false.`);
  }
  checkTwinPart(raw, "tags", TWIN_LIMITS.tagsBytes, fail);
  checkTwinPart(raw, "desired", TWIN_LIMITS.desiredBytes, fail);

  checkAllocation(raw, inputs, fail);
  checkAdrPolicy(raw, fail);
  return { inputs, failures };
}

const FORMS: Record<AttestationType, string> = {
  symmetricKey: '{ type: "symmetricKey" }',
  tpm: '{ type: "tpm", endorsementKey }',
  x509: '{ type: "x509", primaryCertificate | primaryCaName }',
};

function attestationForms(spec: CheckSpec): string {
  const forms = Object.keys(spec.attestations).map((t) => FORMS[t as AttestationType]);
  return forms.length > 1 ? `${forms.slice(0, -1).join(", ")} or ${forms[forms.length - 1]}` : forms[0];
}

function typeNames(spec: CheckSpec): string {
  const names = Object.keys(spec.attestations).map((t) => `"${t}"`);
  return names.length > 1 ? `${names.slice(0, -1).join(", ")} or ${names[names.length - 1]}` : names[0];
}

function canonicalEnum<T>(
  inputs: Record<string, unknown>,
  raw: Record<string, unknown>,
  key: string,
  table: Record<string, T>,
  fail: Fail,
): void {
  const value = raw[key];
  if (value === undefined || isUnknown(value)) return;
  const canonical = enumValue(table, value);
  if (canonical === undefined) {
    fail(key, `${key} ${JSON.stringify(value)} is not valid; use one of ${Object.values(table).join(", ")}.`);
  } else {
    inputs[key] = canonical;
  }
}

function checkConnection(value: unknown, fail: Fail): void {
  if (value === undefined) {
    fail(
      "connection",
      'connection is required: { connectionString } or { hostName, credential: "default" }, or once for ' +
        'the stack in stack config: `pulumi config set --secret dps-enrollments:connectionString "HostName=..."`.',
    );
    return;
  }
  if (isUnknown(value) && !isObject(value)) return;
  if (!isObject(value)) {
    fail(
      "connection",
      'connection must be an object: { connectionString } or { hostName, credential: "default" }.',
    );
    return;
  }
  const { connectionString, hostName, credential, endpoint, linkedHubs, requestTimeout } = value;
  if (requestTimeout !== undefined && !isUnknown(requestTimeout) && !isRequestTimeout(requestTimeout)) {
    fail(
      "connection.requestTimeout",
      `connection.requestTimeout must be a number of seconds above 0 and at most ${MAX_REQUEST_TIMEOUT_S}.`,
    );
  }
  if (connectionString !== undefined && !isUnknown(connectionString)) {
    if (typeof connectionString !== "string") {
      fail("connection.connectionString", "connection.connectionString must be a string.");
    } else {
      const problem = parseConnectionString(connectionString).problem;
      if (problem) fail("connection.connectionString", problem);
    }
  }
  if (credential !== undefined && !isUnknown(credential) && credential !== "default") {
    fail(
      "connection.credential",
      'connection.credential must be "default" (DefaultAzureCredential) when given.',
    );
  }
  if (connectionString === undefined) {
    if (hostName === undefined) {
      fail(
        "connection",
        'connection needs connectionString, or hostName with credential: "default" (Microsoft Entra).',
      );
    } else if (credential === undefined) {
      fail(
        "connection.credential",
        'connection.hostName needs credential: "default", or give connectionString instead.',
      );
    }
  } else if (credential !== undefined) {
    fail(
      "connection.credential",
      "give either connection.connectionString or connection.credential, not both.",
    );
  }
  if (
    hostName !== undefined &&
    !isUnknown(hostName) &&
    (typeof hostName !== "string" || !HOST_NAME.test(hostName))
  ) {
    // Never repeated: a configured value may be secret (see secretText.ts).
    fail(
      "connection.hostName",
      "connection.hostName is not a host name (like my-dps.azure-devices-provisioning.net: no scheme, port, path or line break).",
    );
  }
  if (endpoint !== undefined && !isUnknown(endpoint)) {
    if (!isHttpsUrl(endpoint))
      fail(
        "connection.endpoint",
        "connection.endpoint must be an https:// URL (like https://127.0.0.1:8443).",
      );
  }
  if (linkedHubs !== undefined && !isUnknown(linkedHubs)) {
    if (!Array.isArray(linkedHubs) || !linkedHubs.every((h) => typeof h === "string")) {
      fail("connection.linkedHubs", "connection.linkedHubs must be a list of hub host names.");
    }
  }
}

function checkAttestation(value: unknown, spec: CheckSpec, fail: Fail): unknown {
  if (!isObject(value)) {
    fail("attestation", `attestation must be an object with a type: ${typeNames(spec)}.`);
    return value;
  }
  if (isUnknown(value.type)) return value;
  const type = canonicalAttestationType(value.type);
  if (!type) {
    fail(
      "attestation.type",
      `attestation.type ${JSON.stringify(value.type)} is not valid; use ${typeNames(spec)}.`,
    );
    return value;
  }
  const fields = spec.attestations[type];
  if (!fields) {
    fail("attestation.type", `${spec.resource} does not take ${type} attestation; use ${typeNames(spec)}.`);
    return value;
  }
  const att: Record<string, unknown> = { ...value, type };
  for (const key of Object.keys(value)) {
    if (key !== "type" && !fields.includes(key)) {
      fail(`attestation.${key}`, `attestation.${key} does not apply to ${type} attestation; remove it.`);
    }
  }
  const has = (key: string) => value[key] !== undefined;
  const str = (key: string) => {
    const v = value[key];
    if (v !== undefined && !isUnknown(v) && (typeof v !== "string" || v.trim() === "")) {
      fail(`attestation.${key}`, `attestation.${key} must be a non-empty string.`);
    }
  };
  fields.filter((k) => k !== "rootCertificate").forEach(str);
  if (type === "symmetricKey") {
    if (has("primaryKey") !== has("secondaryKey")) {
      fail(
        has("primaryKey") ? "attestation.secondaryKey" : "attestation.primaryKey",
        "give both primaryKey and secondaryKey, or neither (then both are generated).",
      );
    }
    for (const key of ["primaryKey", "secondaryKey"]) {
      const v = value[key];
      if (typeof v === "string" && !isUnknown(v)) {
        const bytes = BASE64.test(v) ? Buffer.from(v, "base64").length : 0;
        if (bytes < 16 || bytes > 64) {
          fail(
            `attestation.${key}`,
            `attestation.${key} must be base64 of 16 to 64 bytes (e.g. 64 random bytes).`,
          );
        }
      }
    }
  } else if (type === "x509") {
    const certs = has("primaryCertificate") || has("secondaryCertificate") || has("rootCertificate");
    const cas = has("primaryCaName") || has("secondaryCaName");
    if (certs && cas) {
      fail(
        "attestation",
        "x509 attestation takes certificates (primaryCertificate, secondaryCertificate) or CA names (primaryCaName, secondaryCaName), not both.",
      );
    } else if (cas && !has("primaryCaName")) {
      fail("attestation.primaryCaName", "x509 attestation with CA names needs primaryCaName.");
    } else if (!cas && !has("primaryCertificate")) {
      fail(
        "attestation.primaryCertificate",
        "x509 attestation needs primaryCertificate (PEM or base64), or primaryCaName for a CA certificate in the DPS.",
      );
    }
  }
  spec.attestationRules(type, value, fail);
  return att;
}

/** Checks a twin-like JSON object input against IoT Hub's size and depth limits. */
export function checkTwinPart(raw: Record<string, unknown>, key: string, maxBytes: number, fail: Fail): void {
  const value = raw[key];
  if (value === undefined || isUnknown(value)) return;
  if (!isObject(value) || !isJson(value)) {
    fail(key, `${key} must be an object of JSON values (strings, numbers, booleans, null, objects, lists).`);
    return;
  }
  const bytes = Buffer.byteLength(JSON.stringify(value));
  if (bytes > maxBytes)
    fail(key, `${key} is ${bytes} bytes; IoT Hub allows at most ${maxBytes}. Make it smaller.`);
  if (jsonDepth(value) > TWIN_LIMITS.depth) {
    fail(key, `${key} is nested deeper than ${TWIN_LIMITS.depth} levels, which IoT Hub rejects. Flatten it.`);
  }
}

function checkAllocation(raw: Record<string, unknown>, inputs: Record<string, unknown>, fail: Fail): void {
  const policy = inputs.allocationPolicy as AllocationPolicy | undefined;
  const policyKnown =
    !isUnknown(raw.allocationPolicy) && (policy !== undefined || raw.allocationPolicy === undefined);
  const hubs = raw.iotHubs;
  const hubsGiven = hubs !== undefined;
  const hubsKnown = hubsGiven && !isUnknown(hubs);
  if (hubsKnown && (!Array.isArray(hubs) || !hubs.every((h) => typeof h === "string" && HOST_NAME.test(h)))) {
    fail("iotHubs", "iotHubs must be a list of IoT hub host names (like hub1.azure-devices.net).");
    return;
  }
  const hubList = hubsKnown ? (hubs as string[]) : undefined;
  const hostName = raw.iotHubHostName;
  if (
    hostName !== undefined &&
    !isUnknown(hostName) &&
    (typeof hostName !== "string" || !HOST_NAME.test(hostName))
  ) {
    fail("iotHubHostName", "iotHubHostName must be an IoT hub host name (like hub1.azure-devices.net).");
  }
  if (hostName !== undefined && raw.allocationPolicy !== undefined) {
    fail(
      "iotHubHostName",
      `${CMDLET_MESSAGES.hostNameWithPolicy} Remove iotHubHostName, or allocationPolicy.`,
    );
  }
  if (hostName !== undefined && hubsGiven) {
    fail("iotHubHostName", `${CMDLET_MESSAGES.hostNameWithHubs} Remove iotHubHostName, or iotHubs.`);
  }
  if (hubsGiven && raw.allocationPolicy === undefined) {
    fail(
      "iotHubs",
      `${CMDLET_MESSAGES.hubNeedsPolicy} Set allocationPolicy (Hashed, GeoLatency, Static or Custom).`,
    );
  }
  // Static without hubs is no error: the service accepts it (recorded, issue 27) and the device gets
  // the DPS's linked hub; only the cmdlet refuses it (docs/provider.md).
  if (policyKnown && policy === "Static" && hubList && hubList.length > 1) {
    fail("iotHubs", CMDLET_MESSAGES.staticOneHub);
  }
  if (policyKnown && policy === "Custom") {
    if (raw.webhookUrl === undefined) fail("webhookUrl", CMDLET_MESSAGES.customUrl);
    if (raw.apiVersion === undefined) fail("apiVersion", CMDLET_MESSAGES.customApiVersion);
  } else if (policyKnown) {
    for (const key of ["webhookUrl", "apiVersion"]) {
      if (raw[key] !== undefined)
        fail(key, `${key} applies only when allocationPolicy is Custom; remove it.`);
    }
  }
  const url = raw.webhookUrl;
  if (url !== undefined && !isUnknown(url)) {
    if (!isHttpsUrl(url))
      // Not repeated: a function URL carries its key (`?code=`).
      fail(
        "webhookUrl",
        "webhookUrl must be an https:// URL (the Azure Function's URL, as the portal shows it).",
      );
  }
  if (raw.apiVersion !== undefined && !isUnknown(raw.apiVersion) && typeof raw.apiVersion !== "string") {
    fail("apiVersion", 'apiVersion must be a string such as "2021-10-01".');
  }
  const connection = raw.connection;
  const linked = isObject(connection) ? connection.linkedHubs : undefined;
  if (Array.isArray(linked) && !isUnknown(linked)) {
    const set = new Set(linked.map((h) => String(h).toLowerCase()));
    const named: [string, unknown][] = [
      ...(hubList ?? []).map((h): [string, unknown] => ["iotHubs", h]),
      ["iotHubHostName", hostName],
    ];
    for (const [property, hub] of named) {
      if (typeof hub === "string" && !isUnknown(hub) && !set.has(hub.toLowerCase())) {
        fail(
          property,
          `IoT hub "${hub}" is not linked to this DPS; linked hubs: ${linked.join(", ") || "(none)"}. Link it to the DPS or use a linked hub.`,
        );
      }
    }
  }
}

/** The data plane's rules for the Azure Device Registry names (service.json 2026-11-01). */
const ADR_NAMES: Record<(typeof ADR_PROPERTIES)[number], { pattern: RegExp; max: number; rule: string }> = {
  namespaceName: {
    pattern: /^[a-z0-9][a-z0-9-]*[a-z0-9]$/,
    max: 64,
    rule: "3 to 64 lowercase letters, digits and hyphens, starting and ending with a letter or digit",
  },
  certificateAuthorityName: {
    pattern: /^[0-9a-zA-Z][a-zA-Z0-9-]*$/,
    max: 63,
    rule: "3 to 63 letters, digits and hyphens, starting with a letter or digit",
  },
  certificatePolicyName: {
    pattern: /^[0-9a-zA-Z][a-zA-Z0-9-]*$/,
    max: 63,
    rule: "3 to 63 letters, digits and hyphens, starting with a letter or digit",
  },
};

/** The ADR certificate-policy reference: each name well-formed, and all three or none. */
function checkAdrPolicy(raw: Record<string, unknown>, fail: Fail): void {
  const given = ADR_PROPERTIES.filter((key) => raw[key] !== undefined);
  if (given.length > 0 && given.length < ADR_PROPERTIES.length) {
    for (const key of ADR_PROPERTIES.filter((k) => raw[k] === undefined)) {
      fail(
        key,
        `${key} is missing: an Azure Device Registry certificate policy is named by namespaceName, ` +
          `certificateAuthorityName and certificatePolicyName together. Set ${key}, or remove ${given.join(" and ")}.`,
      );
    }
  }
  for (const key of given) {
    const value = raw[key];
    if (isUnknown(value)) continue;
    const { pattern, max, rule } = ADR_NAMES[key];
    if (typeof value !== "string" || value.length < 3 || value.length > max || !pattern.test(value)) {
      fail(key, `${key} ${JSON.stringify(value)} is not an Azure Device Registry name: use ${rule}.`);
    }
  }
}

/** Narrows checked raw inputs to {@link EnrollmentInputs} (after a kind's check found no failures). */
export function asInputs(raw: Record<string, unknown>): EnrollmentInputs {
  return raw as unknown as EnrollmentInputs;
}
