/**
 * What a create or an update will leave in state, said in a preview without a call to the service:
 * what the Set keeps (the state's keys, etag until it writes, dates, registration state,
 * certificates) is known, what the service or the key generator will decide is unknown
 * ({@link UNKNOWN}), and nothing is left out. The same Set semantics as the write itself
 * (`applySet`, `createView`). Pure.
 */
import { isUnknown, UNKNOWN } from "./checks";
import { diffEnrollment, jsonEqual, updateWrites } from "./diff";
import type { WireForm } from "./kind";
import { DATA_PLANE_KEY, outputs, unchangedState } from "./lifecycle";
import { DATA_PLANE_API_VERSION } from "./dataPlane";
import { applySet, createView } from "./semantics";
import { ADR_PROPERTIES, ALLOCATION_PROPERTIES, REPLACED_PROPERTIES } from "./types";
import type {
  AttestationState,
  AttestationType,
  EnrollmentInputs,
  EnrollmentOutputs,
  EnrollmentView,
} from "./types";

/** A view whose properties may hold {@link UNKNOWN}. */
type Loose = Record<string, unknown>;

/** The attestation fields a record of each type may hold (what an adopted record may already have). */
const ATTESTATION_FIELDS = {
  symmetricKey: ["primaryKey", "secondaryKey"],
  tpm: ["endorsementKey", "storageRootKey"],
  x509: ["primaryCertificate", "secondaryCertificate", "primaryCaName", "secondaryCaName", "rootCertificate"],
} as const satisfies Record<AttestationType, readonly (keyof AttestationState)[]>;

/** X.509 attestation fields whose change makes the service report new `certificates`. */
const CERTIFICATE_FIELDS = ["primaryCertificate", "secondaryCertificate", "primaryCaName", "secondaryCaName"];

/**
 * The properties whose value is unknown as a whole, and the inputs without them (the Set cannot merge
 * an unknown; an unknown attestation is replaced by `attestation`, for the shape).
 */
function splitUnknowns(
  inputs: EnrollmentInputs,
  attestation: { type: AttestationType },
): { known: EnrollmentInputs; unknown: string[] } {
  const known: Loose = { ...inputs };
  const unknown: string[] = [];
  for (const [key, value] of Object.entries(inputs)) {
    const whole = value === UNKNOWN || (key === "attestation" && isUnknown((value as Loose)?.type));
    if (whole) {
      unknown.push(key);
      delete known[key];
    }
  }
  known.attestation ??= attestation;
  return { known: known as unknown as EnrollmentInputs, unknown };
}

/** Marks in `view` what depends on an input unknown as a whole. */
function markUnknown(view: Loose, unknown: string[]): void {
  for (const key of unknown) {
    if ((ALLOCATION_PROPERTIES as readonly string[]).includes(key)) {
      // Allocation properties are applied together: one unknown makes the others uncertain too.
      for (const k of ALLOCATION_PROPERTIES) view[k] = UNKNOWN;
    } else if (key === "attestation") {
      view.attestation = UNKNOWN;
      view.certificates = UNKNOWN;
    } else {
      view[key] = UNKNOWN;
    }
  }
}

/** A record about which nothing is known but its id and attestation type: what `adopt` may find. */
function unknownRecord(inputs: EnrollmentInputs, form: WireForm): EnrollmentView {
  const type = (inputs.attestation as { type: AttestationType }).type;
  const attestation: Loose = { type };
  for (const field of ATTESTATION_FIELDS[type]) {
    if (field !== "rootCertificate" || !form.signingCertificates) attestation[field] = UNKNOWN;
  }
  const record: Loose = { [form.idKey]: inputs[form.idKey], attestation };
  for (const key of [...REPLACED_PROPERTIES, ...ALLOCATION_PROPERTIES]) record[key] = UNKNOWN;
  for (const key of ["createdDateTimeUtc", "registrationState", "certificates"]) record[key] = UNKNOWN;
  return record as unknown as EnrollmentView;
}

/** What the service reports on every write: a new etag and change time. */
function written(view: Loose): void {
  view.etag = UNKNOWN;
  view.lastUpdatedDateTimeUtc = UNKNOWN;
}

/**
 * The state a create of `inputs` will leave, for a preview: the program's properties and the Add
 * defaults known; the etag, the dates and generated keys unknown; with `adopt` (the record may exist),
 * everything the program does not give unknown. No call.
 */
export function previewCreate(kind: WireForm, inputs: EnrollmentInputs): EnrollmentOutputs {
  const { known, unknown } = splitUnknowns(inputs, { type: "symmetricKey" });
  const view = (inputs.adopt === false || inputs.adopt === undefined
    ? createView(known, () => UNKNOWN, kind)
    : applySet(unknownRecord(known, kind), known)) as unknown as Loose;
  if (view.allocationPolicy === UNKNOWN) {
    view.webhookUrl = known.webhookUrl ?? UNKNOWN;
    view.apiVersion = known.apiVersion ?? UNKNOWN;
  }
  written(view);
  view.createdDateTimeUtc = UNKNOWN;
  const attestation = view.attestation as Loose;
  if (view.certificates === undefined && attestation.type === "x509" && attestation.primaryCertificate) {
    view.certificates = UNKNOWN; // The service summarizes the certificates it parses.
  }
  const outs = outputs(view as unknown as EnrollmentView, known);
  markUnknown(outs as unknown as Loose, unknown);
  return outs;
}

/**
 * The state an update of `olds` to `inputs` will leave, for a preview: what the Set keeps from the
 * state known (keys, creation date, registration state, certificates), the new etag and change time
 * unknown; the state as it is when the update writes nothing. No call.
 */
export function previewUpdate(
  kind: WireForm,
  olds: EnrollmentOutputs,
  inputs: EnrollmentInputs,
): EnrollmentOutputs {
  if (!updateWrites(diffEnrollment(olds, inputs, kind))) return unchangedState(olds, inputs);
  const { known, unknown } = splitUnknowns(inputs, olds.attestation);
  const current = { ...olds } as Loose;
  // The record alone: not the connection, the options or what a face keeps beside it (`__*`).
  for (const key of Object.keys(current)) {
    if (key === "connection" || key === "adopt" || key.startsWith("__")) delete current[key];
  }
  const att = { ...(current.attestation as Loose) };
  if (att.type === "symmetricKey" && !att.primaryKey) {
    // State without keys (written before they were kept): the update reads them first.
    att.primaryKey = UNKNOWN;
    att.secondaryKey = UNKNOWN;
  }
  current.attestation = att;
  if (olds[DATA_PLANE_KEY] !== DATA_PLANE_API_VERSION) {
    // The update reads first: the record may hold references only the current api-version returns.
    for (const key of ADR_PROPERTIES) current[key] ??= UNKNOWN;
  }
  const view = applySet(current as unknown as EnrollmentView, known) as unknown as Loose;
  written(view);
  const before = current.attestation as Loose;
  const after = view.attestation as Loose;
  if (after.type === "x509") {
    if (after.primaryCaName !== undefined) delete view.certificates;
    else if (CERTIFICATE_FIELDS.some((f) => isUnknown(after[f]) || !jsonEqual(after[f], before[f]))) {
      view.certificates = UNKNOWN; // New certificates: the service reports what it parsed.
    }
  }
  const outs = outputs(view as unknown as EnrollmentView, known);
  markUnknown(outs as unknown as Loose, unknown);
  return outs;
}
