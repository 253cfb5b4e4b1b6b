/**
 * What one operation of a fleet works on (the ledger of what landed, the keys, the failures) and the
 * state it ends with. Shared by the writes, the import and the refresh.
 */
import { randomBytes } from "crypto";
import { DATA_PLANE_API_VERSION } from "../core/dataPlane";
import { DATA_PLANE_KEY, type FaceOptions } from "../core/lifecycle";
import { EnrollmentService } from "../core/service";
import type { AttestationState, EnrollmentConnection } from "../core/types";
import { INDIVIDUAL_ENROLLMENT } from "../individual/kind";
import { FleetPartialFailure } from "./failure";
import { formatManaged, heldOfInputs, managedKeys, type Managed } from "./held";
import { digestOf, effectiveInputs } from "./items";
import { formatLedger, itemDigest, type Ledger } from "./ledger";
import type { FleetInputs, FleetOutputs } from "./types";

/** The records of a fleet are individual enrollments. */
export const KIND = INDIVIDUAL_ENROLLMENT;

export function serviceOf(
  connection: EnrollmentConnection | undefined,
  face: FaceOptions = {},
): EnrollmentService {
  return EnrollmentService.for(connection, KIND, face.resolveConnection);
}

/** What a write of the fleet works on: the ledger, the keys, the failures. */
export interface Progress {
  ledger: Ledger;
  /** What the program manages (for the held digests). */
  managed: Managed;
  keys: Record<string, { primaryKey: string; secondaryKey: string }>;
  failures: Map<string, string>;
}

export function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Notes item `id` as landed with `inputs`' declaration (and its keys, for a symmetric-key item). */
export function landed(
  progress: Progress,
  inputs: FleetInputs,
  id: string,
  attestation: AttestationState,
): void {
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

export function stateOf(inputs: FleetInputs, progress: Progress): FleetOutputs {
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
export function finish(id: string, inputs: FleetInputs, progress: Progress): FleetOutputs {
  const outs = stateOf(inputs, progress);
  if (progress.failures.size === 0) return outs;
  const failures = [...progress.failures].map(([item, reason]) => ({ id: item, reason }));
  throw new FleetPartialFailure(id, outs, failures);
}

/** A new fleet's resource id: `fleet:<hostName>:<8 hex>`. */
export function newFleetId(service: EnrollmentService): string {
  return `fleet:${service.hostName}:${randomBytes(4).toString("hex")}`;
}

/** The records an import id names: `ids:a,b,c` or `prefix:line7-`. */
