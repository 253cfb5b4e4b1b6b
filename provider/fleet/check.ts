/**
 * The `check` of `EnrollmentFleet`: every item is checked by the individual kind's own check on its
 * effective inputs (`{ ...defaults, ...item, registrationId }`), so every rule and message is the
 * same as `IndividualEnrollment`'s; failures are re-pathed to `enrollments["<id>"].<prop>` or
 * `defaults.<prop>`. Canonical inputs leave an item's attestation `type` out when its fields imply
 * it (state size). Pure.
 */
import { canonicalAttestationType, isObject, isRecordId, isUnknown, type CheckFailure } from "../core/checks";
import type { AttestationType, EnrollmentConnection } from "../core/types";
import { INDIVIDUAL_ENROLLMENT } from "../individual/kind";
import { MAX_FLEET_ITEMS, MAX_ITEM_BYTES } from "./types";

/** The properties of a fleet (its own, not an item's). */
const FLEET_PROPERTIES = new Set(["connection", "defaults", "enrollments", "adopt"]);
/** What an item or the defaults may not name: the key, the fleet's own options. */
const NOT_PER_ITEM = ["registrationId", "connection", "adopt"] as const;

/** How a failure names an item's property. */
export function itemPath(id: string, property: string): string {
  return `enrollments[${JSON.stringify(id)}].${property}`;
}

/** The attestation type an item's fields imply, or undefined when they imply none (or several). */
export function impliedType(attestation: Record<string, unknown>): AttestationType | undefined {
  const has = (keys: string[]) => keys.some((k) => attestation[k] !== undefined);
  const found: AttestationType[] = [];
  if (has(["endorsementKey", "storageRootKey"])) found.push("tpm");
  if (
    has(["primaryCertificate", "secondaryCertificate", "primaryCaName", "secondaryCaName", "rootCertificate"])
  )
    found.push("x509");
  if (has(["primaryKey", "secondaryKey"])) found.push("symmetricKey");
  return found.length === 1 ? found[0] : undefined;
}

/** An item's attestation with its type filled in when implied (for the individual check). */
export function withType(attestation: unknown): unknown {
  if (!isObject(attestation) || attestation.type !== undefined) return attestation;
  const type = impliedType(attestation);
  return type ? { ...attestation, type } : attestation;
}

/** The effective raw inputs of item `id`: defaults, then the item's own (shallow), then the key. */
export function effectiveRaw(
  defaults: Record<string, unknown>,
  item: Record<string, unknown>,
  id: string,
): Record<string, unknown> {
  return { ...defaults, ...item, attestation: withType(item.attestation), registrationId: id };
}

/**
 * Checks a fleet's raw inputs; `configured` is the connection configuration gives when the inputs
 * have none (checked in their place, left out of the result; its failures say `where` it came from).
 */
export function checkFleet(
  raw: Record<string, unknown>,
  configured: EnrollmentConnection | undefined,
  where: string,
): { inputs: Record<string, unknown>; failures: CheckFailure[] } {
  const failures: CheckFailure[] = [];
  const fail = (property: string, reason: string) => failures.push({ property, reason });
  const inputs: Record<string, unknown> = { ...raw };
  for (const key of Object.keys(raw)) {
    if (!FLEET_PROPERTIES.has(key) && !key.startsWith("__")) {
      fail(
        key,
        `"${key}" is not a property of EnrollmentFleet; use connection, defaults, enrollments or adopt.`,
      );
    }
  }
  if (raw.adopt !== undefined && !isUnknown(raw.adopt) && typeof raw.adopt !== "boolean") {
    fail("adopt", "adopt must be true or false.");
  }
  const connection = raw.connection ?? configured;
  const defaults = checkDefaults(raw.defaults, connection, fail);
  if (defaults.canonical !== undefined) inputs.defaults = defaults.canonical;
  // The connection's own rules, once: as the individual kind words them.
  for (const f of INDIVIDUAL_ENROLLMENT.check({
    connection,
    registrationId: "x",
    attestation: { type: "symmetricKey" },
  }).failures) {
    if (!f.property.startsWith("connection")) continue;
    fail(f.property, raw.connection === undefined && configured ? `In ${where}: ${f.reason}` : f.reason);
  }

  const enrollments = raw.enrollments;
  if (enrollments === undefined) {
    fail(
      "enrollments",
      'enrollments is required: items keyed by registration id, e.g. { "line7-00042": { attestation: { endorsementKey: "..." } } }.',
    );
    return { inputs, failures };
  }
  if (isUnknown(enrollments) && !isObject(enrollments)) return { inputs, failures };
  if (!isObject(enrollments)) {
    fail("enrollments", "enrollments must be an object keyed by registration id.");
    return { inputs, failures };
  }
  const ids = Object.keys(enrollments);
  if (ids.length > MAX_FLEET_ITEMS) {
    fail(
      "enrollments",
      `an EnrollmentFleet holds at most ${MAX_FLEET_ITEMS} items (one \`up\` of them is about a minute of the ` +
        `DPS's 1,000 operations/min quota); this one has ${ids.length}. Split the manifest into several fleets.`,
    );
    return { inputs, failures };
  }
  const defaultsReported = new Set<string>();
  const failDefault = (property: string, reason: string) => {
    const key = `${property}\n${reason}`;
    if (defaultsReported.has(key)) return;
    defaultsReported.add(key);
    fail(property, reason);
  };
  const seen = new Map<string, string>();
  const canonical: Record<string, unknown> = {};
  for (const id of ids) {
    const item = enrollments[id];
    canonical[id] = item;
    const lower = id.toLowerCase();
    const other = seen.get(lower);
    if (other !== undefined) {
      fail(
        `enrollments[${JSON.stringify(id)}]`,
        `registration ids are case-insensitive: "${id}" and "${other}" name the same enrollment; keep one.`,
      );
    }
    seen.set(lower, id);
    if (!isRecordId(id)) {
      fail(
        `enrollments[${JSON.stringify(id)}]`,
        `registration id ${JSON.stringify(id)} is invalid: use 1 to 128 letters, digits and ': . _ -', ` +
          "starting and ending with a letter or digit.",
      );
      continue;
    }
    if (isUnknown(item) && !isObject(item)) continue;
    if (!isObject(item)) {
      fail(
        `enrollments[${JSON.stringify(id)}]`,
        `enrollments[${JSON.stringify(id)}] must be an object with an attestation.`,
      );
      continue;
    }
    const size = Buffer.byteLength(JSON.stringify(item));
    if (size > MAX_ITEM_BYTES) {
      fail(
        `enrollments[${JSON.stringify(id)}]`,
        `item "${id}" is ${size} bytes of JSON; an item holds at most ${MAX_ITEM_BYTES} (state size). ` +
          "Put shared properties (tags, desired) in defaults.",
      );
      continue;
    }
    canonical[id] = checkItem(id, item, defaults.raw, connection, fail, failDefault);
  }
  inputs.enrollments = canonical;
  return { inputs, failures };
}

/** Checks `defaults` (shape only; its values are checked within each item) and canonicalizes its enums. */
function checkDefaults(
  value: unknown,
  connection: unknown,
  fail: (property: string, reason: string) => void,
): { raw: Record<string, unknown>; canonical?: unknown } {
  if (value === undefined) return { raw: {} };
  if (isUnknown(value) && !isObject(value)) return { raw: {}, canonical: value };
  if (!isObject(value)) {
    fail(
      "defaults",
      "defaults must be an object of the properties items share (tags, allocationPolicy, ...).",
    );
    return { raw: {} };
  }
  for (const key of [...NOT_PER_ITEM, "attestation"]) {
    if (value[key] !== undefined) {
      fail(`defaults.${key}`, notPerItem(key, "defaults"));
    }
  }
  const { inputs } = INDIVIDUAL_ENROLLMENT.check({
    ...value,
    connection,
    registrationId: "x",
    attestation: { type: "symmetricKey" },
  });
  const own = new Set<string>([...NOT_PER_ITEM, "attestation"]);
  const canonical = Object.fromEntries(
    Object.keys(value).map((k) => [k, own.has(k) || inputs[k] === undefined ? value[k] : inputs[k]]),
  );
  return { raw: value, canonical };
}

function notPerItem(key: string, where: string): string {
  if (key === "attestation") return `${where} cannot give attestation: each item gives its own.`;
  if (key === "registrationId")
    return `${where} cannot give registrationId: an item's key is its registration id.`;
  return `${where} cannot give ${key}: it is a property of the fleet; set it next to enrollments.`;
}

/** Checks one item on its effective inputs and returns its canonical form (its own properties only). */
function checkItem(
  id: string,
  item: Record<string, unknown>,
  defaults: Record<string, unknown>,
  connection: unknown,
  fail: (property: string, reason: string) => void,
  failDefault: (property: string, reason: string) => void,
): Record<string, unknown> {
  for (const key of NOT_PER_ITEM) {
    if (item[key] !== undefined) fail(itemPath(id, key), notPerItem(key, `enrollments["${id}"]`));
  }
  const attestation = item.attestation;
  if (isObject(attestation) && attestation.type === undefined && !impliedType(attestation)) {
    fail(
      itemPath(id, "attestation.type"),
      "attestation.type is required when the fields do not say it: give endorsementKey (TPM), a certificate or " +
        'CA name (X.509), both keys, or { type: "symmetricKey" } to have keys generated.',
    );
    return item;
  }
  const { connection: _c, registrationId: _r, adopt: _a, ...rest } = item;
  const effective = effectiveRaw(defaults, rest, id);
  const outcome = INDIVIDUAL_ENROLLMENT.check({ ...effective, connection });
  for (const f of outcome.failures) {
    if (f.property.startsWith("connection")) continue;
    const top = f.property.split(".")[0];
    if (top in item || defaults[top] === undefined) fail(itemPath(id, f.property), f.reason);
    else failDefault(`defaults.${f.property}`, f.reason);
  }
  // The item's own properties, canonical; the type left out when the fields imply it.
  const canonical: Record<string, unknown> = {};
  for (const key of Object.keys(item)) {
    const value = outcome.inputs[key];
    canonical[key] = NOT_PER_ITEM.some((k) => k === key) || value === undefined ? item[key] : value;
  }
  const att = outcome.inputs.attestation;
  if (isObject(att) && isObject(attestation) && !isUnknown(att.type)) {
    const type = canonicalAttestationType(att.type);
    const { type: _t, ...fields } = att;
    canonical.attestation = type && impliedType(fields) === type ? fields : att;
  }
  return canonical;
}
