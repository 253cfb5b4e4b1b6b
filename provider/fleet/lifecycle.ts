/**
 * The operations of `EnrollmentFleet` that both faces call: create (or import), read (refresh or
 * import by ids), update and delete. Set semantics per item, as `IndividualEnrollment` has them
 * (core/semantics.ts): only items whose digest changed, or added or removed, are written, in bulk
 * calls of 10 (several in flight, paced by the shared pacing); a changed item's current record (with
 * its etag) is read first, from query pages when many change. The rules are pure functions in this
 * folder and core/; this module sequences the service calls.
 */
import { randomBytes } from "crypto";
import { canonicalJson } from "./ledger";
import { DATA_PLANE_API_VERSION } from "../core/dataPlane";
import { diffEnrollment } from "../core/diff";
import { statusOf } from "../core/errors";
import { importDifferences } from "../core/importing";
import { keysUnchangedSinceCreate } from "../core/keysKnown";
import { DATA_PLANE_KEY, MAX_CONFLICT_RETRIES, type FaceOptions } from "../core/lifecycle";
import { applySet, createView, fromWire, toWire } from "../core/semantics";
import { EnrollmentService } from "../core/service";
import type { AttestationState, EnrollmentConnection, EnrollmentInputs, EnrollmentView } from "../core/types";
import type { WireEnrollment } from "../core/wire";
import { INDIVIDUAL_ENROLLMENT } from "../individual/kind";
import { digestOf, effectiveInputs } from "./items";
import { formatLedger, itemDigest, parseLedger, type Ledger } from "./ledger";
import { chunks, pool } from "./pool";
import { readMany, readPrefix } from "./read";
import {
  formatManaged,
  heldOfInputs,
  heldOfView,
  managedKeys,
  managedOf,
  parseManaged,
  type Managed,
} from "./held";
import type { FleetInputs, FleetItem, FleetOutputs } from "./types";

export type { FaceOptions } from "../core/lifecycle";

const KIND = INDIVIDUAL_ENROLLMENT;
/** Bulk calls of one fleet in flight at once; the shared pacing keeps them within the DPS quota. */
const CALLS_IN_FLIGHT = 4;
/** The ledger digest of an item a refresh found drifted: matches no program, so the next diff writes it. */
const DRIFTED = "drifted";
/** Failed ids a message lists before "and N more". */
const LISTED_FAILURES = 20;

/** An item that did not land, with the service's reason. */
export interface FleetItemFailure {
  /** Its registration id. */
  id: string;
  /** Why, as the service answered (or the fix, for a refused takeover). */
  reason: string;
}

/**
 * Some items did not land: `outs` records exactly what did (the faces hand it to the engine as
 * partial-failure outputs); the next `up` writes only what is missing.
 */
export class FleetPartialFailure extends Error {
  /**
   * @param id - The fleet's resource id.
   * @param outs - The state: what landed.
   * @param failures - The items that did not, with reasons.
   */
  constructor(
    readonly id: string,
    readonly outs: FleetOutputs,
    readonly failures: FleetItemFailure[],
  ) {
    super(partialFailureMessage(failures, outs.enrollmentCount));
    this.name = "FleetPartialFailure";
  }
}

/** The message of a partial failure: the failed ids with their reasons, the first 20 then a count. */
export function partialFailureMessage(failures: readonly FleetItemFailure[], landed: number): string {
  const lines = failures.slice(0, LISTED_FAILURES).map((f) => `  ${f.id}: ${f.reason}`);
  if (failures.length > LISTED_FAILURES) lines.push(`  and ${failures.length - LISTED_FAILURES} more`);
  return (
    `${failures.length} enrollment(s) of the fleet did not land (${landed} are in the DPS as declared; ` +
    "the state records them, and the next `pulumi up` writes only what is missing):\n" +
    lines.join("\n")
  );
}

/** The service of a fleet's connection. */
function serviceOf(connection: EnrollmentConnection | undefined, face: FaceOptions = {}): EnrollmentService {
  return EnrollmentService.for(connection, KIND, face.resolveConnection);
}

/** What a write of the fleet works on: the ledger, the keys, the failures. */
interface Progress {
  ledger: Ledger;
  /** What the program manages (for the held digests). */
  managed: Managed;
  keys: Record<string, { primaryKey: string; secondaryKey: string }>;
  failures: Map<string, string>;
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Notes item `id` as landed with `inputs`' declaration (and its keys, for a symmetric-key item). */
function landed(progress: Progress, inputs: FleetInputs, id: string, attestation: AttestationState): void {
  const effective = effectiveInputs(inputs, id);
  progress.ledger.set(id, {
    digest: itemDigest(effective as unknown as Record<string, unknown>),
    type: attestation.type,
    held: heldOfInputs(effective, managedKeys(progress.managed, id)),
  });
  progress.failures.delete(id);
  if (attestation.type === "symmetricKey" && attestation.primaryKey && attestation.secondaryKey) {
    progress.keys[id] = { primaryKey: attestation.primaryKey, secondaryKey: attestation.secondaryKey };
  } else {
    delete progress.keys[id];
  }
}

/** Whether the program gives item `id`'s symmetric keys itself. */
function keysGiven(effective: EnrollmentInputs): boolean {
  const att = effective.attestation as { primaryKey?: unknown };
  return typeof att.primaryKey === "string";
}

/**
 * The current view of a record for a Set: its symmetric keys from state when nobody wrote it since
 * its create, else read (`attestationmechanism`), unless the program gives them.
 */
async function currentView(
  service: EnrollmentService,
  wire: WireEnrollment,
  effective: EnrollmentInputs,
  known: { primaryKey: string; secondaryKey: string } | undefined,
): Promise<EnrollmentView> {
  const id = String(wire.registrationId);
  if (wire.attestation?.type === "symmetricKey" && !keysGiven(effective)) {
    if (!keysUnchangedSinceCreate(wire, known))
      wire = { ...wire, attestation: await service.attestation(id) };
    return fromWire(wire, known ? { type: "symmetricKey", ...known } : undefined, KIND);
  }
  return fromWire(wire, undefined, KIND);
}

/** The wire form of a view without etag, for comparing what a write would change. */
function wireText(view: EnrollmentView): string {
  return canonicalJson(toWire(view, undefined, KIND));
}

/** Deletes `ids` (ledger entries) in bulk calls; failures are recorded, the others leave the ledger. */
async function deleteItems(service: EnrollmentService, ids: string[], progress: Progress): Promise<void> {
  const records = ids.map((id) => ({
    registrationId: id,
    attestation: { type: progress.ledger.get(id)?.type ?? "symmetricKey" },
  })) as WireEnrollment[];
  await pool(chunks(records, 10), CALLS_IN_FLIGHT, async (chunk) => {
    const outcomes = await service.deleteBatch(chunk);
    outcomes.forEach((outcome, i) => {
      const id = String(chunk[i].registrationId);
      if (outcome.ok) {
        progress.ledger.delete(id);
        delete progress.keys[id];
        progress.failures.delete(id);
      } else {
        progress.failures.set(id, reasonOf(outcome.error));
      }
    });
  });
}

/** Creates `ids`; items answered 409 are taken as they are, adopted, or refused (see {@link resolveExisting}). */
async function createItems(
  service: EnrollmentService,
  inputs: FleetInputs,
  ids: string[],
  progress: Progress,
): Promise<void> {
  const views = new Map<string, EnrollmentView>();
  const records = ids.map((id) => {
    const view = createView(effectiveInputs(inputs, id), undefined, KIND);
    views.set(id, view);
    return toWire(view, undefined, KIND);
  });
  const existing: string[] = [];
  await pool(chunks(records, 10), CALLS_IN_FLIGHT, async (chunk) => {
    const outcomes = await service.writeBatch("create", chunk);
    outcomes.forEach((outcome, i) => {
      const id = String(chunk[i].registrationId);
      if (outcome.ok) landed(progress, inputs, id, views.get(id)!.attestation);
      else if (statusOf(outcome.error) === 409) existing.push(id);
      else progress.failures.set(id, reasonOf(outcome.error));
    });
  });
  if (existing.length > 0) await resolveExisting(service, inputs, existing, progress);
}

/**
 * Items whose create found a record: without `adopt`, taken as they are when they already hold what
 * the program declares (an interrupted create), else refused with the fix; with `adopt`, Set.
 */
async function resolveExisting(
  service: EnrollmentService,
  inputs: FleetInputs,
  ids: string[],
  progress: Progress,
): Promise<void> {
  const records = await readMany(service, ids);
  const toSet: string[] = [];
  await pool(ids, 8, async (id) => {
    const wire = records.get(id.toLowerCase());
    const effective = effectiveInputs(inputs, id);
    const type = (effective.attestation as { type: string }).type;
    if (!wire) {
      progress.failures.set(id, "it was deleted while it was being created; run `pulumi up` again.");
      return;
    }
    const current = fromWire(wire, undefined, KIND);
    if (current.attestation.type !== type) {
      progress.failures.set(
        id,
        `it exists in ${service.hostName} with ${current.attestation.type} attestation, but the program gives ${type}; ` +
          "an attestation type cannot change in place. Use the existing type, or delete it first.",
      );
      return;
    }
    if (inputs.adopt) {
      toSet.push(id);
      return;
    }
    if (!diffEnrollment({ ...current, connection: effective.connection }, effective, KIND).changes) {
      const view = await currentView(service, wire, effective, progress.keys[id]);
      landed(progress, inputs, id, view.attestation);
      return;
    }
    progress.failures.set(
      id,
      `it already exists in ${service.hostName}. To manage it from this program with Set semantics (change only ` +
        "what the program sets, keep the rest), set `adopt: true` on the fleet. Nothing was changed.",
    );
  });
  if (toSet.length > 0) await setItems(service, inputs, toSet, progress, records);
}

/**
 * Applies the program's items `ids` to their records with Set semantics and each record's etag; an
 * item whose record already holds what the program manages is not written. 412: re-read and
 * re-applied, at most {@link MAX_CONFLICT_RETRIES} times. A record gone is created again.
 */
async function setItems(
  service: EnrollmentService,
  inputs: FleetInputs,
  ids: string[],
  progress: Progress,
  read?: Map<string, WireEnrollment | undefined>,
): Promise<void> {
  let pending = ids;
  let records = read ?? (await readMany(service, ids));
  for (let attempt = 1; pending.length > 0; attempt++) {
    const gone: string[] = [];
    const retyped: string[] = [];
    const writes: { id: string; wire: WireEnrollment; attestation: AttestationState }[] = [];
    await pool(pending, 8, async (id) => {
      const wire = records.get(id.toLowerCase());
      if (!wire) {
        gone.push(id);
        return;
      }
      const effective = effectiveInputs(inputs, id);
      if (
        wire.attestation?.type?.toLowerCase() !==
        String((effective.attestation as { type: string }).type).toLowerCase()
      ) {
        retyped.push(id);
        return;
      }
      try {
        const current = await currentView(service, wire, effective, progress.keys[id]);
        const desired = applySet(current, effective);
        if (wireText(desired) === wireText(current)) landed(progress, inputs, id, desired.attestation);
        else
          writes.push({
            id,
            wire: toWire(desired, current.etag ?? "*", KIND),
            attestation: desired.attestation,
          });
      } catch (error) {
        progress.failures.set(id, reasonOf(error));
      }
    });
    const conflicts: string[] = [];
    await pool(chunks(writes, 10), CALLS_IN_FLIGHT, async (chunk) => {
      const outcomes = await service.writeBatch(
        "updateIfMatchETag",
        chunk.map((w) => w.wire),
      );
      outcomes.forEach((outcome, i) => {
        const { id, attestation } = chunk[i];
        if (outcome.ok) landed(progress, inputs, id, attestation);
        else if (statusOf(outcome.error) === 412 && attempt <= MAX_CONFLICT_RETRIES) conflicts.push(id);
        else if (statusOf(outcome.error) === 412)
          progress.failures.set(
            id,
            `it kept changing while Pulumi updated it (${attempt} attempts, each answered 412): another writer ` +
              "is changing it. Nothing was overwritten; run `pulumi up` again once the other writer is done.",
          );
        else progress.failures.set(id, reasonOf(outcome.error));
      });
    });
    if (retyped.length > 0) {
      // The attestation type cannot change in place: the item is replaced (delete, then create).
      await deleteItems(service, retyped, progress);
      await createItems(
        service,
        inputs,
        retyped.filter((id) => !progress.failures.has(id)),
        progress,
      );
    }
    if (gone.length > 0) await createItems(service, inputs, gone, progress);
    pending = conflicts;
    if (pending.length > 0) records = await readMany(service, pending);
  }
}

/** The state of a write: what landed, the keys, the failures. */
function stateOf(inputs: FleetInputs, progress: Progress): FleetOutputs {
  const count = Object.keys(inputs.enrollments).filter(
    (id) => progress.ledger.get(id)?.digest === digestOf(inputs, id),
  ).length;
  const outs: FleetOutputs = {
    connection: inputs.connection,
    enrollmentCount: count,
    __fleet: formatLedger(progress.ledger),
    __managed: formatManaged(progress.managed),
    [DATA_PLANE_KEY]: DATA_PLANE_API_VERSION,
  };
  if (Object.keys(progress.keys).length > 0) outs.deviceKeys = progress.keys;
  if (progress.failures.size > 0) outs.failedEnrollments = Object.fromEntries(progress.failures);
  if (inputs.adopt !== undefined) outs.adopt = inputs.adopt;
  if (outs.connection === undefined) delete outs.connection;
  return outs;
}

/** The outputs, or a {@link FleetPartialFailure} carrying them when some items did not land. */
function finish(id: string, inputs: FleetInputs, progress: Progress): FleetOutputs {
  const outs = stateOf(inputs, progress);
  if (progress.failures.size === 0) return outs;
  const failures = [...progress.failures].map(([item, reason]) => ({ id: item, reason }));
  throw new FleetPartialFailure(id, outs, failures);
}

/** A new fleet's resource id: `fleet:<hostName>:<8 hex>`. */
function newFleetId(service: EnrollmentService): string {
  return `fleet:${service.hostName}:${randomBytes(4).toString("hex")}`;
}

/** The records an import id names: `ids:a,b,c` or `prefix:line7-`. */
export function parseImportId(importId: string): { ids: string[] } | { prefix: string } {
  if (importId.startsWith("prefix:")) {
    const prefix = importId.slice("prefix:".length);
    if (prefix === "") throw new Error('An import by prefix needs one: "prefix:line7-".');
    return { prefix };
  }
  const list = importId.startsWith("ids:") ? importId.slice("ids:".length) : importId;
  const ids = list
    .split(",")
    .map((id) => id.trim())
    .filter(Boolean);
  if (ids.length === 0)
    throw new Error('An import id names records: "ids:line7-00042,line7-00043" or "prefix:line7-".');
  return { ids };
}

/** The records an import id names, read (no write); fails naming the ids that do not exist. */
async function readImported(service: EnrollmentService, importId: string): Promise<WireEnrollment[]> {
  const spec = parseImportId(importId);
  if ("prefix" in spec) return readPrefix(service, spec.prefix);
  const records = await readMany(service, spec.ids);
  const absent = spec.ids.filter((id) => !records.get(id.toLowerCase()));
  if (absent.length > 0) {
    throw new Error(
      `There is nothing to import for ${absent.slice(0, LISTED_FAILURES).join(", ")}${absent.length > LISTED_FAILURES ? ` and ${absent.length - LISTED_FAILURES} more` : ""}: ` +
        `no such enrollment in ${service.hostName}. Check the ids and the connection. Nothing was written.`,
    );
  }
  return spec.ids.map((id) => records.get(id.toLowerCase())!);
}

/**
 * Takes the records `importId` names into the stack as the program declares them, with no write:
 * fails, listing the differences, when the program's items are not exactly those records as held.
 */
async function importFleet(
  service: EnrollmentService,
  inputs: FleetInputs,
  importId: string,
): Promise<{ id: string; outs: FleetOutputs }> {
  const records = await readImported(service, importId);
  const byId = new Map(records.map((r) => [String(r.registrationId).toLowerCase(), r]));
  const declared = new Map(Object.keys(inputs.enrollments).map((id) => [id.toLowerCase(), id]));
  const problems: string[] = [];
  for (const key of byId.keys())
    if (!declared.has(key)) problems.push(`${byId.get(key)!.registrationId}: in the DPS, not in the program`);
  for (const [key, id] of declared)
    if (!byId.has(key)) problems.push(`${id}: in the program, not among the records ${importId} names`);
  const progress: Progress = { ledger: new Map(), managed: managedOf(inputs), keys: {}, failures: new Map() };
  await pool(
    [...declared.values()].filter((id) => byId.has(id.toLowerCase())),
    8,
    async (id) => {
      const effective = effectiveInputs(inputs, id);
      const wire = byId.get(id.toLowerCase())!;
      const view =
        wire.attestation?.type === "symmetricKey"
          ? fromWire({ ...wire, attestation: await service.attestation(id) }, undefined, KIND)
          : fromWire(wire, undefined, KIND);
      const differences = importDifferences(view, effective, KIND);
      if (differences.length > 0) problems.push(`${id}: ${differences.join("; ")}`);
      else landed(progress, inputs, id, view.attestation);
    },
  );
  if (problems.length > 0) {
    const listed = problems.slice(0, LISTED_FAILURES);
    if (problems.length > LISTED_FAILURES) listed.push(`and ${problems.length - LISTED_FAILURES} more`);
    throw new Error(
      `The fleet does not match the records ${importId} names in ${service.hostName}, so nothing was imported ` +
        `or written. Make the program declare them as they are:\n  ${listed.join("\n  ")}`,
    );
  }
  return { id: newFleetId(service), outs: stateOf(inputs, progress) };
}

/**
 * Creates the fleet's items (in bulk calls of 10), or with `importId` (`ids:a,b` / `prefix:p`) takes
 * the existing records into the stack with no write when the program matches them. Throws
 * {@link FleetPartialFailure} when some items did not land.
 */
export async function createFleet(
  inputs: FleetInputs,
  options: { importId?: string; face?: FaceOptions } = {},
): Promise<{ id: string; outs: FleetOutputs }> {
  const service = serviceOf(inputs.connection, options.face);
  if (options.importId !== undefined) return importFleet(service, inputs, options.importId);
  const id = newFleetId(service);
  const progress: Progress = { ledger: new Map(), managed: managedOf(inputs), keys: {}, failures: new Map() };
  await createItems(service, inputs, Object.keys(inputs.enrollments), progress);
  return { id, outs: finish(id, inputs, progress) };
}

/**
 * Writes what changed since `olds` (the state): added items created, removed ones deleted, changed
 * ones Set with their etags. Throws {@link FleetPartialFailure} when some items did not land.
 */
export async function updateFleet(
  olds: Partial<FleetOutputs>,
  news: FleetInputs,
  options: { id?: string; face?: FaceOptions } = {},
): Promise<FleetOutputs> {
  const service = serviceOf(news.connection, options.face);
  const progress: Progress = {
    ledger: parseLedger(olds.__fleet),
    managed: managedOf(news),
    keys: { ...(olds.deviceKeys ?? {}) },
    failures: new Map(),
  };
  const removed = [...progress.ledger.keys()].filter((item) => news.enrollments[item] === undefined);
  const added: string[] = [];
  const changed: string[] = [];
  for (const item of Object.keys(news.enrollments)) {
    const entry = progress.ledger.get(item);
    if (!entry) added.push(item);
    else if (entry.digest !== digestOf(news, item)) changed.push(item);
  }
  if (removed.length + added.length + changed.length === 0 && olds.connection !== news.connection) {
    // Only the connection's credentials changed: one call proves them before the state keeps them.
    await service.page(undefined);
  }
  if (removed.length > 0) await deleteItems(service, removed, progress);
  if (changed.length > 0) await setItems(service, news, changed, progress);
  if (added.length > 0) await createItems(service, news, added, progress);
  return finish(options.id ?? "", news, progress);
}

/** What {@link readFleet} hands back. */
export interface FleetReadResult {
  /** The resource id (empty when nothing of the fleet is left). */
  id: string;
  /** The state. */
  outs: FleetOutputs;
  /** Inputs to store: drift in managed properties as item overrides, or an import's declaration. */
  inputs?: FleetInputs;
}

/** An item as a record declares it, for an import by `pulumi import` (only what differs from the Add defaults). */
function declaredItem(view: EnrollmentView): FleetItem {
  const att = view.attestation;
  const attestation: FleetItem["attestation"] =
    att.type === "tpm"
      ? { endorsementKey: att.endorsementKey }
      : att.type === "x509" && att.primaryCaName
        ? { primaryCaName: att.primaryCaName, secondaryCaName: att.secondaryCaName }
        : att.type === "x509"
          ? { type: "x509", primaryCertificate: att.primaryCertificate }
          : { type: "symmetricKey" };
  const item: FleetItem = {
    attestation: JSON.parse(JSON.stringify(attestation)) as FleetItem["attestation"],
  };
  if (view.deviceId) item.deviceId = view.deviceId;
  if (view.provisioningStatus === "Disabled") item.provisioningStatus = "Disabled";
  if (view.reprovisionPolicy && view.reprovisionPolicy !== "reprovisionandmigratedata")
    item.reprovisionPolicy = view.reprovisionPolicy;
  if (view.edgeEnabled) item.edgeEnabled = true;
  if (view.tags && Object.keys(view.tags).length > 0) item.tags = view.tags;
  if (view.desired && Object.keys(view.desired).length > 0) item.desired = view.desired;
  if (view.allocationPolicy) item.allocationPolicy = view.allocationPolicy;
  if (view.iotHubs?.length) item.iotHubs = view.iotHubs;
  if (view.iotHubHostName) item.iotHubHostName = view.iotHubHostName;
  return item;
}

/**
 * Reads the fleet. With state (a refresh): its items' records from query pages (≤ N/100 + a few
 * calls); items gone are dropped from the ledger (the next `up` creates them again), and drift in
 * what the program manages comes back as refreshed inputs (item overrides) so the next preview
 * names `enrollments["id"].prop`. Without state (`pulumi import` with `ids:a,b` or `prefix:p`): the
 * records, declared as they are, with no write.
 */
export async function readFleet(
  id: string,
  state: Partial<FleetOutputs> | undefined,
  oldInputs: FleetInputs | undefined,
  connection: EnrollmentConnection | undefined,
  options: { face?: FaceOptions } = {},
): Promise<FleetReadResult> {
  const service = serviceOf(connection, options.face);
  if (state?.__fleet === undefined) {
    const records = await readImported(service, id);
    const inputs: FleetInputs = { enrollments: {} };
    if (connection !== undefined) inputs.connection = connection;
    const progress: Progress = {
      ledger: new Map(),
      managed: { defaults: [], items: new Map() },
      keys: {},
      failures: new Map(),
    };
    for (const wire of records) {
      const view = fromWire(wire, undefined, KIND);
      inputs.enrollments[String(wire.registrationId)] = declaredItem(view);
    }
    progress.managed = managedOf(inputs);
    await pool(records, 8, async (wire) => {
      const item = String(wire.registrationId);
      let att = fromWire(wire, undefined, KIND).attestation;
      if (att.type === "symmetricKey")
        att = fromWire(
          { ...wire, attestation: await service.attestation(item) },
          undefined,
          KIND,
        ).attestation;
      landed(progress, inputs, item, att);
    });
    return { id, outs: stateOf(inputs, progress), inputs };
  }
  const progress: Progress = {
    ledger: parseLedger(state.__fleet),
    managed: oldInputs ? managedOf(oldInputs) : parseManaged(state.__managed),
    keys: { ...(state.deviceKeys ?? {}) },
    failures: new Map(),
  };
  const ids = [...progress.ledger.keys()];
  const records = await readMany(service, ids);
  const inputs: FleetInputs | undefined = oldInputs && {
    ...oldInputs,
    enrollments: { ...oldInputs.enrollments },
  };
  let drifted = false;
  const drift: Record<string, string> = {};
  for (const item of ids) {
    const wire = records.get(item.toLowerCase());
    if (!wire) {
      // Deleted out of band: forgotten, so the next `up` creates it again.
      progress.ledger.delete(item);
      delete progress.keys[item];
      continue;
    }
    const entry = progress.ledger.get(item)!;
    if (!inputs) {
      // No old inputs (the dynamic face): the held digest tells whether what the program manages moved.
      const held = heldOfView(fromWire(wire, undefined, KIND), managedKeys(progress.managed, item));
      if (entry.held !== undefined && held !== entry.held) {
        drift[item] =
          "changed outside Pulumi in what the program manages; the next `pulumi up` writes it back";
        progress.ledger.set(item, { ...entry, digest: DRIFTED });
      }
      continue;
    }
    if (!inputs.enrollments[item]) continue;
    const effective = effectiveInputs(inputs, item);
    const view = fromWire(wire, undefined, KIND);
    const changed = diffEnrollment(
      { ...view, connection: effective.connection },
      effective,
      KIND,
    ).changed.filter(
      (key) => key !== "connection" && !(key === "attestation" && view.attestation.type === "symmetricKey"),
    );
    if (changed.length === 0) continue;
    drifted = true;
    drift[item] =
      `changed outside Pulumi: ${changed.join(", ")}; the next \`pulumi up\` writes the program's values back`;
    const own: Record<string, unknown> = {
      ...(inputs.enrollments[item] as unknown as Record<string, unknown>),
    };
    for (const key of changed) {
      if (key === "attestation") {
        own.attestation = declaredItem(view).attestation;
        continue;
      }
      own[key] = (view as unknown as Record<string, unknown>)[key];
    }
    inputs.enrollments[item] = own as unknown as FleetItem;
    progress.ledger.set(item, {
      digest: itemDigest(effectiveInputs(inputs, item) as unknown as Record<string, unknown>),
      type: view.attestation.type,
      held: entry.held,
    });
  }
  const outs: FleetOutputs = {
    enrollmentCount: [...progress.ledger.values()].filter((e) => e.digest !== DRIFTED).length,
    __fleet: formatLedger(progress.ledger),
    __managed: formatManaged(progress.managed),
    [DATA_PLANE_KEY]: DATA_PLANE_API_VERSION,
  };
  if (inputs) {
    outs.enrollmentCount = Object.keys(inputs.enrollments).filter(
      (item) => progress.ledger.get(item)?.digest === digestOf(inputs, item),
    ).length;
  }
  if (Object.keys(progress.keys).length > 0) outs.deviceKeys = progress.keys;
  if (Object.keys(drift).length > 0) outs.driftedEnrollments = drift;
  if (connection !== undefined) outs.connection = connection;
  if (state.adopt !== undefined) outs.adopt = state.adopt;
  if (state.failedEnrollments) outs.failedEnrollments = state.failedEnrollments;
  return drifted && inputs ? { id, outs, inputs } : { id, outs };
}

/** Deletes every item that landed; an item already gone is no error. Throws listing the items it could not delete. */
export async function deleteFleet(
  olds: Partial<FleetOutputs>,
  options: { face?: FaceOptions } = {},
): Promise<void> {
  const service = serviceOf(olds.connection, options.face);
  const progress: Progress = {
    ledger: parseLedger(olds.__fleet),
    managed: { defaults: [], items: new Map() },
    keys: {},
    failures: new Map(),
  };
  await deleteItems(service, [...progress.ledger.keys()], progress);
  if (progress.failures.size > 0) {
    const failures = [...progress.failures].map(([item, reason]) => ({ id: item, reason }));
    const lines = failures.slice(0, LISTED_FAILURES).map((f) => `  ${f.id}: ${f.reason}`);
    if (failures.length > LISTED_FAILURES) lines.push(`  and ${failures.length - LISTED_FAILURES} more`);
    throw new Error(
      `${failures.length} enrollment(s) of the fleet could not be deleted; the fleet stays in the stack ` +
        `(run the destroy again: the ones deleted are not deleted twice):\n${lines.join("\n")}`,
    );
  }
}
