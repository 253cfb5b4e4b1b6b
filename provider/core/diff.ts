/**
 * `diff`: which managed properties differ between the program and the last known state, and whether
 * the difference replaces the enrollment. Pure.
 */
import { connectionHostName } from "./connectionString";
import { ALLOCATION_PROPERTIES, REPLACED_PROPERTIES } from "./types";
import type { WireForm } from "./kind";
import type { EnrollmentInputs, EnrollmentOutputs } from "./types";
import { canonicalAttestationType, isObject, isUnknown } from "./checks";

/** The outcome of {@link diffEnrollment}, in the dynamic-provider contract's terms. */
export interface EnrollmentDiff {
  /** True when anything the program manages differs (or is not known yet). */
  changes: boolean;
  /** The properties whose change replaces the enrollment. */
  replaces: string[];
  /** Replacing in place (same DPS, same id) must delete first: the id cannot exist twice. */
  deleteBeforeReplace: boolean;
  /** Every differing property, for messages and tests. */
  changed: string[];
}

/** Twin-like objects: absent on either side means empty. */
const OBJECTS: ReadonlySet<string> = new Set(["tags", "desired", "optionalDeviceInformation"]);

/** Deep equality of JSON values; object key order does not matter. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => jsonEqual(v, b[i]))
    );
  }
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => jsonEqual(a[k], b[k]));
  }
  return false;
}

function hubSet(hubs: unknown): string {
  return Array.isArray(hubs) ? [...new Set(hubs.map((h) => String(h).toLowerCase()))].sort().join(",") : "";
}

/**
 * Compares the program's (checked) inputs with the state. Only properties the program sets are
 * compared: one removed from the program is no longer managed and never shows as a change.
 */
export function diffEnrollment(
  olds: EnrollmentOutputs,
  news: EnrollmentInputs,
  kind: WireForm,
): EnrollmentDiff {
  const idKey = kind.idKey;
  const changed: string[] = [];
  const replaces: string[] = [];
  const differs = (
    key: string,
    a: unknown,
    b: unknown,
    equal: (x: unknown, y: unknown) => boolean = jsonEqual,
  ) => {
    if (isUnknown(b) || !equal(a, b)) changed.push(key);
  };

  if (isUnknown(news[idKey]) || String(news[idKey]).toLowerCase() !== String(olds[idKey]).toLowerCase()) {
    changed.push(idKey);
    replaces.push(idKey);
  }
  const oldType = olds.attestation?.type;
  const newAttestation = news.attestation as unknown as Record<string, unknown> | undefined;
  const newType = isUnknown(newAttestation?.type)
    ? undefined
    : canonicalAttestationType(newAttestation?.type);
  if (newType === undefined || newType !== oldType) {
    changed.push("attestation");
    replaces.push("attestation");
  } else if (newAttestation) {
    const oldAttestation = olds.attestation as unknown as Record<string, unknown>;
    const fieldChanged = Object.entries(newAttestation).some(
      ([key, value]) =>
        key !== "type" &&
        value !== undefined &&
        (isUnknown(value) ||
          !jsonEqual(value, oldAttestation[key] ?? (key === "rootCertificate" ? false : undefined))),
    );
    if (fieldChanged) changed.push("attestation");
  }

  const oldHost = olds.connection ? connectionHostName(olds.connection)?.toLowerCase() : undefined;
  const newHost =
    isObject(news.connection) && !isUnknown(news.connection)
      ? connectionHostName(news.connection)?.toLowerCase()
      : undefined;
  if (!jsonEqual(olds.connection, news.connection) || isUnknown(news.connection)) {
    changed.push("connection");
    // A host we cannot know yet is not called a replace: the usual cause is an output of a DPS that
    // itself is unchanged, and the plan after apply would show the truth.
    if (newHost !== undefined && newHost !== oldHost) replaces.push("connection");
  }

  for (const key of [...REPLACED_PROPERTIES, ...ALLOCATION_PROPERTIES]) {
    const value = news[key];
    if (value === undefined) continue;
    if (key === "iotHubs") differs(key, hubSet(olds.iotHubs), isUnknown(value) ? value : hubSet(value));
    else if (OBJECTS.has(key)) differs(key, olds[key] ?? {}, value);
    else differs(key, olds[key], value);
  }

  const replacingInPlace =
    replaces.length > 0 && !replaces.includes(idKey) && !replaces.includes("connection");
  return {
    changes: changed.length > 0,
    replaces,
    deleteBeforeReplace: replacingInPlace,
    changed,
  };
}

/** True when the only differences are ones that need no service call (credentials, endpoint, CA). */
export function onlyConnectionChanged(diff: EnrollmentDiff): boolean {
  return diff.changed.every((key) => key === "connection") && diff.replaces.length === 0;
}

/** Whether an update with this diff writes the record (else it at most proves a changed connection). */
export function updateWrites(diff: EnrollmentDiff): boolean {
  return diff.changes && !onlyConnectionChanged(diff);
}
