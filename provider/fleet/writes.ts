/**
 * The writes of a fleet, per item with the Set semantics of `IndividualEnrollment`, in bulk calls of
 * 10 (several in flight, paced by the shared pacing): creates (409 taken as it is, adopted, or
 * refused), Sets with each record's etag (412 re-read and re-applied), deletes.
 */
import { diffEnrollment } from "../core/diff";
import { statusOf } from "../core/errors";
import { keysUnchangedSinceCreate } from "../core/keysKnown";
import { MAX_CONFLICT_RETRIES } from "../core/lifecycle";
import { applySet, createView, fromWire, toWire } from "../core/semantics";
import type { EnrollmentService } from "../core/service";
import type { AttestationState, EnrollmentInputs, EnrollmentView } from "../core/types";
import type { WireEnrollment } from "../core/wire";
import { effectiveInputs } from "./items";
import { canonicalJson } from "./ledger";
import { chunks, pool } from "./pool";
import { KIND, landed, reasonOf, type Progress } from "./progress";
import { readMany } from "./read";
import type { FleetInputs } from "./types";

/** Bulk calls of one fleet in flight at once; the shared pacing keeps them within the DPS quota. */
const CALLS_IN_FLIGHT = 4;

function keysGiven(effective: EnrollmentInputs): boolean {
  const att = effective.attestation as { primaryKey?: unknown };
  return typeof att.primaryKey === "string";
}

/**
 * The current view of a record for a Set: its symmetric keys from state when nobody wrote it since
 * its create, else read (`attestationmechanism`), unless the program gives them.
 */
export async function currentView(
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
export async function deleteItems(
  service: EnrollmentService,
  ids: string[],
  progress: Progress,
): Promise<void> {
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
export async function createItems(
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
export async function setItems(
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
