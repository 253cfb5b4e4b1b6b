/**
 * The operations of any kind of enrollment that both faces call (the dynamic resources in
 * `provider/dynamic/`, the plugin in `provider/plugin/`): check, create, read, update (Set semantics)
 * and delete. The rules are pure functions elsewhere; this module sequences the service calls. Every
 * operation takes the kind whole and inputs whose `connection` the face has already resolved (the
 * resource's own, the stack config's reference, or the plugin's configured one).
 */
import { diffEnrollment, updateWrites } from "./diff";
import { DpsServiceError } from "./errors";
import { importDifferences, importMismatchMessage } from "./importing";
import type { EnrollmentKind } from "./kind";
import { DATA_PLANE_API_VERSION } from "./dataPlane";
import { keysUnchangedSinceCreate } from "./keysKnown";
import { applySet, createView, fromWire, toWire } from "./semantics";
import { AmbiguousWriteError, EnrollmentService, type ConnectionResolver } from "./service";
import type { AttestationState, EnrollmentInputs, EnrollmentOutputs, EnrollmentView, IdKey } from "./types";
import { isUnknown, type CheckFailure, type CheckOutcome } from "./checks";
import type { EnrollmentConnection } from "./types";
import { answeredFor, engineId } from "./identity";

/** The state key of the api-version the stored view was read or written with (internal: a `__` key). */
export const DATA_PLANE_KEY = "__dataPlane" as const;

/** What a face adds to the shared operations. */
export interface FaceOptions {
  /** Makes a stored or given connection whole (default: taken as it is; see service.ts). */
  resolveConnection?: ConnectionResolver;
}

/** How many times an update re-reads and re-applies after a concurrent writer changed the enrollment. */
export const MAX_CONFLICT_RETRIES = 5;

/** Raised when a concurrent writer keeps winning; nothing was overwritten. */
export class EnrollmentConflictError extends Error {
  constructor(noun: string, id: string, attempts: number) {
    super(
      `${noun} "${id}" kept changing while Pulumi updated it (${attempts} attempts, each answered ` +
        "412 Precondition Failed): another writer is changing it. Nothing was overwritten; run `pulumi up` again " +
        "once the other writer is done.",
    );
    this.name = "EnrollmentConflictError";
  }
}

/** The state of a view just read or written (at {@link DATA_PLANE_API_VERSION}), or previewed. */
export function outputs(view: EnrollmentView, inputs: EnrollmentInputs): EnrollmentOutputs {
  const outs: EnrollmentOutputs = {
    ...view,
    connection: inputs.connection,
    [DATA_PLANE_KEY]: DATA_PLANE_API_VERSION,
  };
  if (inputs.adopt !== undefined) outs.adopt = inputs.adopt;
  return outs;
}

/** Whether the program gives the symmetric keys itself (then the service's keys need not be read). */
function keysGiven(inputs: EnrollmentInputs): boolean {
  const att = inputs.attestation as { type: string; primaryKey?: string };
  return att.type === "symmetricKey" && typeof att.primaryKey === "string";
}

function sameKeys(a: AttestationState, b: AttestationState): boolean {
  return (
    a.type === b.type &&
    (a.type !== "symmetricKey" || (a.primaryKey === b.primaryKey && a.secondaryKey === b.secondaryKey))
  );
}

/**
 * The kind's `check` of raw inputs, the connection given by configuration when the inputs have none:
 * `configured` is checked in their place and left out of the returned inputs, and its failures say
 * where it came from (`where`, e.g. "stack config dps-enrollments:*").
 */
export function checkInputs(
  kind: EnrollmentKind,
  news: Record<string, unknown>,
  configured: EnrollmentConnection | undefined,
  where: string,
): CheckOutcome {
  const fromConfig = news.connection === undefined ? configured : undefined;
  const { inputs, failures } = kind.check(fromConfig ? { ...news, connection: fromConfig } : news);
  if (fromConfig) {
    delete inputs.connection;
    for (const f of failures) {
      if (f.property.startsWith("connection")) f.reason = `In ${where}: ${f.reason}`;
    }
  }
  return { inputs, failures };
}

/** The id of a record (or of inputs) under `kind`'s key; empty when absent. */
export function idOf(kind: EnrollmentKind, x: Partial<Record<IdKey, string>>): string {
  return x[kind.idKey] ?? "";
}

/** The message for a record that is not where the stack says it is. */
function missing(kind: EnrollmentKind, id: string, hostName: string, fix: string): string {
  return `${kind.noun} "${id}" does not exist in ${hostName}. ${fix}`;
}

/** How {@link readCurrent} reads. */
interface ReadOptions {
  /** The attestation held in state (its secrets are kept; the service does not return them). */
  known?: AttestationState;
  /** The creation time held in state, when an answer gave it (see keysKnown.ts). */
  createdDateTimeUtc?: string;
  /** Whether the symmetric keys must be the service's (GET never returns them). */
  withKeys: boolean;
  /** The message when the record is gone. */
  whenMissing?: string;
  /** A record whose etag is unknown (written by a bulk call) may be served from query pages. */
  fromPages?: boolean;
}

/**
 * Reads the record as the service holds it, with its symmetric keys when `withKeys` (keeping them is
 * what stops a Set from dropping them): read with `attestationmechanism`, unless the record has not
 * been written since the create whose keys state holds. Throws when it is gone.
 */
async function readCurrent(
  kind: EnrollmentKind,
  service: EnrollmentService,
  id: string,
  options: ReadOptions,
): Promise<EnrollmentView> {
  const { known, withKeys } = options;
  const whenMissing =
    options.whenMissing ??
    `${kind.noun} "${id}" no longer exists in ${service.hostName}; it was deleted outside Pulumi. ` +
      "Run `pulumi refresh` to forget it, then `pulumi up` to create it again.";
  const wire = await (known && options.fromPages ? service.read(id) : service.get(id));
  if (!wire) throw new Error(whenMissing);
  const untouched = keysUnchangedSinceCreate(wire, {
    ...known,
    createdDateTimeUtc: options.createdDateTimeUtc,
  });
  if (withKeys && wire.attestation?.type === "symmetricKey" && !untouched) {
    wire.attestation = await service.attestation(id);
  }
  return fromWire(wire, known, kind);
}

/** Whether a view was written by a bulk call, whose answer carries no etag (see service.ts). */
function etagUnknown(view: EnrollmentView): boolean {
  return view.etag === "";
}

/**
 * Writes `inputs` onto `current` with Set semantics and `If-Match`, re-reading and re-applying on
 * 412 a bounded number of times. One write when nobody else wrote since `current` was read. A
 * `current` whose etag is unknown (last written by a bulk call) is read first, from query pages when
 * this process reads many records of the DPS, with its symmetric keys unless the program gives them:
 * without its etag nothing tells whether someone rotated them since.
 */
async function setWithEtag(
  kind: EnrollmentKind,
  service: EnrollmentService,
  current: EnrollmentView,
  inputs: EnrollmentInputs,
): Promise<EnrollmentView> {
  const id = idOf(kind, inputs);
  if (etagUnknown(current)) {
    current = await readCurrent(kind, service, id, {
      known: current.attestation,
      createdDateTimeUtc: current.createdDateTimeUtc,
      withKeys: !keysGiven(inputs),
      fromPages: true,
    });
  }
  for (let attempt = 1; ; attempt++) {
    const desired = applySet(current, inputs);
    try {
      const written = await service.put(toWire(desired, current.etag ?? "*", kind));
      const view = fromWire(written, desired.attestation, kind);
      if (!etagUnknown(view)) return view;
      // A bulk answer has no record: what the service computes stays as last seen, the etag unknown.
      const kept = {
        createdDateTimeUtc: current.createdDateTimeUtc,
        registrationState: current.registrationState,
        certificates: current.certificates,
      };
      return { ...view, ...Object.fromEntries(Object.entries(kept).filter(([, v]) => v !== undefined)) };
    } catch (error) {
      const status = error instanceof DpsServiceError ? error.status : undefined;
      if (status !== 412) throw error;
      if (attempt > MAX_CONFLICT_RETRIES) throw new EnrollmentConflictError(kind.noun, id, attempt);
      current = await readCurrent(kind, service, id, {
        known: current.attestation,
        createdDateTimeUtc: current.createdDateTimeUtc,
        withKeys: !keysGiven(inputs),
      });
    }
  }
}

/**
 * The record an import names, with its symmetric keys (to compare with the program's, or to keep
 * in state), and how it differs from the program. Throws when it does not exist.
 */
async function readForImport(
  kind: EnrollmentKind,
  service: EnrollmentService,
  inputs: EnrollmentInputs,
): Promise<{ current: EnrollmentView; differences: string[] }> {
  const id = idOf(kind, inputs);
  const current = await readCurrent(kind, service, id, {
    withKeys: true, // Keys are state: compare them with the program's, or keep them.
    whenMissing: missing(
      kind,
      id,
      service.hostName,
      "There is nothing to import: check the id and the connection, or remove the `import` option to create it.",
    ),
  });
  return { current, differences: importDifferences(current, inputs, kind) };
}

/**
 * Check failures of the dynamic face's `import` option: a wrong id, or (when everything is known) a
 * program that does not match the record.
 */
export async function checkImport(
  kind: EnrollmentKind,
  inputs: EnrollmentInputs,
  importId: unknown,
  face: FaceOptions = {},
): Promise<CheckFailure[]> {
  const id = idOf(kind, inputs);
  if (isUnknown(importId) || isUnknown(id)) return [];
  if (typeof importId !== "string" || importId.toLowerCase() !== id.toLowerCase()) {
    return [
      {
        property: kind.idKey,
        reason:
          `The \`import\` option names ${JSON.stringify(importId)}, but ${kind.idKey} is ${JSON.stringify(id)}: ` +
          `the import id is the ${kind.idKey}. Make them the same.`,
      },
    ];
  }
  if (isUnknown(inputs)) return []; // Compared again by create, once every input is known.
  const service = EnrollmentService.for(inputs.connection, kind, face.resolveConnection);
  const { differences } = await readForImport(kind, service, inputs);
  if (differences.length === 0) return [];
  // Reported on the id: the engine cannot show the `import` option's value.
  return [
    { property: kind.idKey, reason: importMismatchMessage(kind.noun, id, service.hostName, differences) },
  ];
}

/** One GET with the new connection; throws, so the stack keeps its old connection, when it does not work. */
async function verifyConnection(
  kind: EnrollmentKind,
  inputs: EnrollmentInputs,
  face: FaceOptions,
): Promise<void> {
  const id = idOf(kind, inputs);
  const service = EnrollmentService.for(inputs.connection, kind, face.resolveConnection);
  let found: boolean;
  try {
    found = (await service.get(id)) !== undefined;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(
      `The changed connection of ${kind.noun.toLowerCase()} "${id}" does not work: ${message} ` +
        "The stack keeps the previous connection; nothing was written.",
      { cause: error },
    );
  }
  if (!found) {
    throw new Error(
      missing(
        kind,
        id,
        service.hostName,
        "The changed connection works, but the record is not there: if it was deleted outside Pulumi, run " +
          "`pulumi refresh` to forget it and `pulumi up` to create it again; otherwise check that the " +
          "connection names the same DPS. The stack keeps the previous connection.",
      ),
    );
  }
}

/** What a create, read or update hands back: the record's id and its state. */
export interface EnrollmentResult {
  /** The record's id (empty from a read when the record is gone). */
  id: string;
  /** The state (empty from a read when the record is gone). */
  outs: EnrollmentOutputs;
}

/**
 * Creates the record of `inputs` (Set-semantics adoption with `adopt`), or with `importing` takes the
 * existing record into the stack as it is, with no write, when the program matches it.
 */
export async function createEnrollment(
  kind: EnrollmentKind,
  inputs: EnrollmentInputs,
  importing: boolean,
  face: FaceOptions = {},
): Promise<EnrollmentResult> {
  const id = idOf(kind, inputs);
  const service = EnrollmentService.for(inputs.connection, kind, face.resolveConnection);
  if (importing) {
    // Taken into the stack as it is, with no write, or not at all.
    const { current, differences } = await readForImport(kind, service, inputs);
    if (differences.length > 0) {
      throw new Error(importMismatchMessage(kind.noun, id, service.hostName, differences));
    }
    const attestation = { ...current.attestation, ...(inputs.attestation as Partial<AttestationState>) };
    return { id: idOf(kind, current), outs: outputs({ ...current, attestation }, inputs) };
  }
  const view = createView(inputs, undefined, kind);
  try {
    const written = await service.put(toWire(view, undefined, kind));
    return {
      id: answeredFor(kind, id, written, service.hostName),
      outs: outputs(fromWire(written, view.attestation, kind), inputs),
    };
  } catch (error) {
    const status = error instanceof DpsServiceError ? error.status : undefined;
    if (status !== 409) throw error;
    const current = await readCurrent(kind, service, id, { withKeys: !keysGiven(inputs) });
    if (error instanceof AmbiguousWriteError && sameKeys(current.attestation, view.attestation)) {
      // Our own first attempt landed but its answer was lost: the record is ours.
      return {
        id: idOf(kind, current),
        outs: outputs({ ...current, attestation: view.attestation }, inputs),
      };
    }
    if (!inputs.adopt && current.attestation.type === view.attestation.type) {
      // A create interrupted after its PUT landed (the engine was killed; `pulumi refresh
      // --clear-pending-creates` then forgot it) left exactly what the program declares: take it as
      // this create's result, with nothing to write. Anything that differs still needs `adopt`.
      if (!diffEnrollment({ ...current, connection: inputs.connection }, inputs, kind).changes) {
        return { id: idOf(kind, current), outs: outputs(current, inputs) };
      }
    }
    if (!inputs.adopt) {
      throw new Error(
        `${kind.noun} "${id}" already exists in ${service.hostName}. To manage it from this ` +
          "program with Set semantics (change only what the program sets, keep the rest), set `adopt: true`; " +
          `to only read it, use ${kind.resource}.get. Nothing was changed.`,
        { cause: error },
      );
    }
    if (current.attestation.type !== view.attestation.type) {
      throw new Error(
        `${kind.noun} "${id}" exists with ${current.attestation.type} attestation, but the ` +
          `program gives ${view.attestation.type}; an attestation type cannot change in place. Use the ` +
          "existing type, or delete it first. Nothing was changed.",
        { cause: error },
      );
    }
    const adopted = await setWithEtag(kind, service, current, inputs);
    return { id: idOf(kind, adopted), outs: outputs(adopted, inputs) };
  }
}

/** What {@link readEnrollment} hands back. */
export interface EnrollmentReadResult extends EnrollmentResult {
  /**
   * Inputs to store: for a read by id alone (no state yet), the id and the attestation type, which a
   * program adopting or importing the record diffs cleanly against; after a refresh, the managed
   * properties as the DPS holds them when they drifted. Absent: keep the stored inputs.
   */
  inputs?: Record<string, unknown>;
}

/**
 * Reads the record: a refresh (`state` from the stack, may be served from query pages) or a read by
 * id alone (`state` without an etag: `get`, or an import). `connection` is where to read.
 */
export async function readEnrollment(
  kind: EnrollmentKind,
  id: string,
  state: Partial<EnrollmentOutputs>,
  connection: EnrollmentOutputs["connection"],
  face: FaceOptions = {},
): Promise<EnrollmentReadResult> {
  // The engine's id names the record; state that names another fails before any call.
  const recordId = engineId(kind, id, state);
  const service = EnrollmentService.for(connection, kind, face.resolveConnection);
  // A refresh may be served from query pages (many records of one DPS); a read by id reads just one.
  const wire = state.etag === undefined ? await service.get(recordId) : await service.read(recordId);
  if (!wire && state.etag === undefined) {
    // A read by id (no state yet): storing an empty resource would hide the mistake until much later.
    throw new Error(
      missing(
        kind,
        recordId,
        service.hostName,
        `${kind.resource}.get found nothing to read: check the id and the connection.`,
      ),
    );
  }
  // A refresh: deleted out of band, so Pulumi forgets it.
  if (!wire) return { id: "", outs: {} as EnrollmentOutputs };
  answeredFor(kind, recordId, wire, service.hostName);
  const known = state.attestation;
  // Keys are re-read only when the record changed since it was last seen (or they are unknown):
  // a refresh of an unchanged record stays one call.
  // Nor when it was not written since the create whose keys state holds (keysKnown.ts).
  const keysUnknown = !known?.primaryKey;
  const untouched = keysUnchangedSinceCreate(wire, {
    ...known,
    createdDateTimeUtc: state.createdDateTimeUtc,
  });
  if (
    wire.attestation?.type === "symmetricKey" &&
    (keysUnknown || (wire.etag !== state.etag && !untouched))
  ) {
    wire.attestation = await service.attestation(recordId);
  }
  const view = fromWire(wire, known, kind);
  const outs: EnrollmentOutputs = { ...view, connection, [DATA_PLANE_KEY]: DATA_PLANE_API_VERSION };
  if (state.adopt !== undefined) outs.adopt = state.adopt;
  if (state.etag === undefined) {
    return {
      id: idOf(kind, view),
      outs,
      inputs: { connection, [kind.idKey]: idOf(kind, view), attestation: { type: view.attestation.type } },
    };
  }
  return { id: idOf(kind, view), outs };
}

/** The state of an update that writes nothing: the record as it was, with the program's options. */
export function unchangedState(olds: EnrollmentOutputs, inputs: EnrollmentInputs): EnrollmentOutputs {
  const outs: EnrollmentOutputs = { ...olds, connection: inputs.connection };
  if (inputs.adopt === undefined) delete outs.adopt;
  else outs.adopt = inputs.adopt;
  return outs;
}

/**
 * Applies `inputs` to the record with Set semantics and its etag (one PUT when nobody else wrote), or,
 * when only the connection changed, proves the new connection with one read and writes nothing.
 */
export async function updateEnrollment(
  kind: EnrollmentKind,
  olds: EnrollmentOutputs,
  inputs: EnrollmentInputs,
  face: FaceOptions = {},
): Promise<EnrollmentOutputs> {
  const diff = diffEnrollment(olds, inputs, kind);
  if (!updateWrites(diff)) {
    // New credentials or endpoint for the same DPS: nothing to write, but one read proves the new
    // connection works before the stack stores it (a wrong key would otherwise surface much later).
    if (diff.changed.includes("connection")) await verifyConnection(kind, inputs, face);
    return unchangedState(olds, inputs);
  }
  const service = EnrollmentService.for(inputs.connection, kind, face.resolveConnection);
  let current: EnrollmentView = { ...olds };
  delete (current as Partial<EnrollmentOutputs>).connection;
  delete (current as Partial<EnrollmentOutputs>).adopt;
  const keysMissing =
    current.attestation.type === "symmetricKey" && !current.attestation.primaryKey && !keysGiven(inputs);
  if (keysMissing || olds[DATA_PLANE_KEY] !== DATA_PLANE_API_VERSION) {
    // State from before 2026-11-01 was spoken may lack fields only that version returns (ADR
    // references someone else set): with the stored etag still current, a Set from it would
    // remove them. One read first, once per enrollment after the upgrade.
    current = await readCurrent(kind, service, idOf(kind, inputs), {
      known: current.attestation,
      createdDateTimeUtc: current.createdDateTimeUtc,
      withKeys: keysMissing,
    });
  }
  const view = await setWithEtag(kind, service, current, inputs);
  return outputs(view, inputs);
}

/** Deletes the record the state names; a record already gone is no error. */
export async function deleteEnrollment(
  kind: EnrollmentKind,
  id: string,
  props: Pick<EnrollmentOutputs, "connection" | IdKey> & Partial<EnrollmentOutputs>,
  face: FaceOptions = {},
): Promise<void> {
  const recordId = engineId(kind, id, props);
  const service = EnrollmentService.for(props.connection, kind, face.resolveConnection);
  // The stored record lets deletes waiting together share a bulk call, which names each record whole.
  const record = props.attestation
    ? toWire({ ...props, attestation: props.attestation }, undefined, kind)
    : undefined;
  await service.delete(recordId, record);
}
