/**
 * The operations of `EnrollmentFleet` that both faces call: create (or import), read (refresh or
 * `pulumi import`), update and delete. Set semantics per item, as `IndividualEnrollment` has them
 * (core/semantics.ts): only items whose digest changed, or added or removed, are written, in bulk
 * calls of 10 (writes.ts). The rules are pure functions in this folder and core/; these modules
 * sequence the service calls.
 */
import { jsonEqual } from "../core/diff";
import type { FaceOptions } from "../core/lifecycle";
import type { EnrollmentConnection } from "../core/types";
import { LISTED_FAILURES } from "./failure";
import { managedOf } from "./held";
import { importFleet, readImportedFleet } from "./importing";
import { diffFleet } from "./diff";
import { parseLedger } from "./ledger";
import { finish, newFleetId, serviceOf, type Progress } from "./progress";
import { refreshFleet } from "./refresh";
import { createItems, deleteItems, setItems } from "./writes";
import type { FleetInputs, FleetOutputs } from "./types";

export type { FaceOptions } from "../core/lifecycle";
export { FleetPartialFailure, partialFailureMessage, type FleetItemFailure } from "./failure";
export { parseImportId } from "./importing";

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
  // The items the diff named: added, changed (their digest differs from what landed), removed.
  const { added, changed, removed } = diffFleet(olds, news);
  if (removed.length + added.length + changed.length === 0 && !jsonEqual(olds.connection, news.connection)) {
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

/**
 * Reads the fleet. With state (a refresh): see refresh.ts. Without state (`pulumi import` with
 * `ids:a,b` or `prefix:p`): the records, declared as they are, with no write.
 */
export async function readFleet(
  id: string,
  state: Partial<FleetOutputs> | undefined,
  oldInputs: FleetInputs | undefined,
  connection: EnrollmentConnection | undefined,
  options: { face?: FaceOptions } = {},
): Promise<FleetReadResult> {
  const service = serviceOf(connection, options.face);
  if (state?.__fleet === undefined) return readImportedFleet(service, id, connection);
  return refreshFleet(service, id, { ...state, __fleet: state.__fleet }, oldInputs, connection);
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
