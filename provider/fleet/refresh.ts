/**
 * The refresh of a fleet: its items' records from query pages (at most N/100 + a few calls). Items
 * gone are forgotten (the next `up` creates them again); drift in what the program manages is named:
 * with the old inputs (the plugin) as refreshed inputs with item overrides, without them (the
 * dynamic face) by the held digests (held.ts), in `driftedEnrollments`.
 */
import { DATA_PLANE_API_VERSION } from "../core/dataPlane";
import { diffEnrollment } from "../core/diff";
import { DATA_PLANE_KEY } from "../core/lifecycle";
import { fromWire } from "../core/semantics";
import type { EnrollmentService } from "../core/service";
import type { EnrollmentConnection } from "../core/types";
import { formatManaged, heldOfView, managedKeys, managedOf, parseManaged } from "./held";
import { declaredItem } from "./importing";
import { digestOf, effectiveInputs } from "./items";
import { formatLedger, itemDigest, parseLedger } from "./ledger";
import { KIND, type Progress } from "./progress";
import { readMany } from "./read";
import type { FleetInputs, FleetItem, FleetOutputs } from "./types";

/** The ledger digest of an item a refresh found drifted: matches no program, so the next diff writes it. */
const DRIFTED = "drifted";

/** Refreshes the fleet whose state is `state` (see the module). */
export async function refreshFleet(
  service: EnrollmentService,
  id: string,
  state: Partial<FleetOutputs> & { __fleet: string },
  oldInputs: FleetInputs | undefined,
  connection: EnrollmentConnection | undefined,
): Promise<{ id: string; outs: FleetOutputs; inputs?: FleetInputs }> {
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
