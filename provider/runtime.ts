/**
 * The dynamic provider's implementation, loaded by name inside the provider plugin (see
 * `provider/resource.ts`): check, diff, create, read, update (Set semantics) and delete.
 * The rules are pure functions elsewhere; this module sequences the service calls.
 */
import type { dynamic } from "@pulumi/pulumi";
import { diffEnrollment, onlyConnectionChanged } from "./diff";
import { MANAGED_KEY, managedKeys, refreshedInputs } from "./drift";
import { DpsServiceError, reportedOnce } from "./errors";
import { IMPORT_KEY, importDifferences, importMismatchMessage } from "./importing";
import { applySet, createView, fromWire, toWire } from "./semantics";
import { AmbiguousWriteError, EnrollmentService } from "./service";
import type { AttestationState, EnrollmentInputs, EnrollmentOutputs, EnrollmentView } from "./types";
import { asInputs, checkInputs, isObject, isUnknown } from "./validation";

/** How many times an update re-reads and re-applies after a concurrent writer changed the enrollment. */
export const MAX_CONFLICT_RETRIES = 5;

/** Raised when a concurrent writer keeps winning; nothing was overwritten. */
export class EnrollmentConflictError extends Error {
  constructor(registrationId: string, attempts: number) {
    super(
      `Enrollment "${registrationId}" kept changing while Pulumi updated it (${attempts} attempts, each answered ` +
        "412 Precondition Failed): another writer is changing it. Nothing was overwritten; run `pulumi up` again " +
        "once the other writer is done.",
    );
    this.name = "EnrollmentConflictError";
  }
}

function outputs(view: EnrollmentView, inputs: EnrollmentInputs): EnrollmentOutputs {
  const outs: EnrollmentOutputs = { ...view, connection: inputs.connection };
  if (inputs.adopt !== undefined) outs.adopt = inputs.adopt;
  // What the program manages, so that a refresh can name drift (see drift.ts).
  (outs as unknown as Record<string, unknown>)[MANAGED_KEY] = managedKeys(inputs);
  return outs;
}

function missingMessage(registrationId: string, hostName: string, fix: string): string {
  return `Enrollment "${registrationId}" does not exist in ${hostName}. ${fix}`;
}

/** Whether the program gives the symmetric keys itself (then the service's keys need not be read). */
function keysGiven(inputs: EnrollmentInputs): boolean {
  const att = inputs.attestation as { type: string; primaryKey?: string };
  return att.type === "symmetricKey" && typeof att.primaryKey === "string";
}

/**
 * Reads the enrollment as the service holds it, with its symmetric keys when `withKeys` (GET never
 * returns them; keeping them is what stops a Set from dropping them). Throws when it is gone.
 */
async function readCurrent(
  service: EnrollmentService,
  registrationId: string,
  known: AttestationState | undefined,
  withKeys: boolean,
): Promise<EnrollmentView> {
  const wire = await service.get(registrationId);
  if (!wire) {
    throw new Error(
      `Enrollment "${registrationId}" no longer exists in ${service.hostName}; it was deleted outside Pulumi. ` +
        "Run `pulumi refresh` to forget it, then `pulumi up` to create it again.",
    );
  }
  if (withKeys && wire.attestation?.type === "symmetricKey") {
    wire.attestation = await service.attestation(registrationId);
  }
  return fromWire(wire, known);
}

/**
 * Writes `inputs` onto `current` with Set semantics and `If-Match`, re-reading and re-applying on
 * 412 a bounded number of times. One PUT when nobody else wrote since `current` was read.
 */
async function setWithEtag(
  service: EnrollmentService,
  current: EnrollmentView,
  inputs: EnrollmentInputs,
): Promise<EnrollmentView> {
  for (let attempt = 1; ; attempt++) {
    const desired = applySet(current, inputs);
    try {
      const written = await service.put(toWire(desired, current.etag ?? "*"));
      return fromWire(written, desired.attestation);
    } catch (error) {
      const status = error instanceof DpsServiceError ? error.status : undefined;
      if (status !== 412) throw error;
      if (attempt > MAX_CONFLICT_RETRIES) throw new EnrollmentConflictError(inputs.registrationId, attempt);
      current = await readCurrent(service, inputs.registrationId, current.attestation, !keysGiven(inputs));
    }
  }
}

/** One GET with the new connection; throws, keeping the stack's old connection, when it is refused. */
async function verifyConnection(inputs: EnrollmentInputs): Promise<void> {
  const service = EnrollmentService.for(inputs.connection);
  let found: boolean;
  try {
    found = (await service.get(inputs.registrationId)) !== undefined;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(
      `The changed connection of enrollment "${inputs.registrationId}" does not work: ${message} ` +
        "The stack keeps the previous connection; nothing was written.",
      { cause: error },
    );
  }
  if (!found) {
    throw new Error(
      missingMessage(
        inputs.registrationId,
        service.hostName,
        "The changed connection works, but the enrollment is not there: if it was deleted outside Pulumi, run " +
          "`pulumi refresh` to forget it and `pulumi up` to create it again; otherwise check that the connection " +
          "names the same DPS. The stack keeps the previous connection.",
      ),
    );
  }
}

function sameKeys(a: AttestationState, b: AttestationState): boolean {
  return (
    a.type === b.type &&
    (a.type !== "symmetricKey" || (a.primaryKey === b.primaryKey && a.secondaryKey === b.secondaryKey))
  );
}

/**
 * The enrollment the `import` option names, with its symmetric keys (to compare with the program's, or
 * to keep in state), and how it differs from the program. Throws when it does not exist.
 */
async function readForImport(
  service: EnrollmentService,
  inputs: EnrollmentInputs,
): Promise<{ current: EnrollmentView; differences: string[] }> {
  const wire = await service.get(inputs.registrationId);
  if (!wire) {
    throw new Error(
      missingMessage(
        inputs.registrationId,
        service.hostName,
        "There is nothing to import: check the registration id and the connection, or remove the `import` " +
          "option to create the enrollment.",
      ),
    );
  }
  if (wire.attestation?.type === "symmetricKey") {
    // Keys are state: read them once here, whether to compare them with the program's or to keep them.
    wire.attestation = await service.attestation(inputs.registrationId);
  }
  const current = fromWire(wire);
  return { current, differences: importDifferences(current, inputs) };
}

/** Check failures of the `import` option: a wrong id, or (when everything is known) a program that does not match. */
async function checkImport(inputs: EnrollmentInputs, importId: unknown): Promise<dynamic.CheckFailure[]> {
  if (isUnknown(importId) || isUnknown(inputs.registrationId)) return [];
  if (typeof importId !== "string" || importId.toLowerCase() !== inputs.registrationId.toLowerCase()) {
    return [
      {
        property: "registrationId",
        reason:
          `The \`import\` option names ${JSON.stringify(importId)}, but registrationId is ` +
          `${JSON.stringify(inputs.registrationId)}: an enrollment's id is its registration id. Make them the same.`,
      },
    ];
  }
  if (isUnknown(inputs)) return []; // Compared again by create, once every input is known.
  const service = EnrollmentService.for(inputs.connection);
  const { differences } = await readForImport(service, inputs);
  if (differences.length === 0) return [];
  return [
    {
      property: "registrationId",
      reason: importMismatchMessage(inputs.registrationId, service.hostName, differences),
    },
  ];
}

const provider = {
  async check(olds: Record<string, unknown>, news: Record<string, unknown>): Promise<dynamic.CheckResult> {
    const { inputs, failures } = checkInputs(news);
    // The `import` option matters only while the resource is not in the stack yet (no olds).
    if (failures.length === 0 && news[IMPORT_KEY] !== undefined && Object.keys(olds).length === 0) {
      failures.push(...(await checkImport(asInputs(inputs), news[IMPORT_KEY])));
    }
    return { inputs, failures };
  },

  async diff(_id: string, olds: EnrollmentOutputs, news: EnrollmentInputs): Promise<dynamic.DiffResult> {
    const diff = diffEnrollment(olds, news);
    return { changes: diff.changes, replaces: diff.replaces, deleteBeforeReplace: diff.deleteBeforeReplace };
  },

  async create(raw: Record<string, unknown>): Promise<dynamic.CreateResult> {
    const inputs = asInputs(raw);
    const service = EnrollmentService.for(inputs.connection);
    if (raw[IMPORT_KEY] !== undefined) {
      // Taken into the stack as it is, with no write, or not at all.
      const { current, differences } = await readForImport(service, inputs);
      if (differences.length > 0) {
        throw new Error(importMismatchMessage(inputs.registrationId, service.hostName, differences));
      }
      const attestation = { ...current.attestation, ...(inputs.attestation as Partial<AttestationState>) };
      return { id: current.registrationId, outs: outputs({ ...current, attestation }, inputs) };
    }
    const view = createView(inputs);
    try {
      const written = await service.put(toWire(view));
      return { id: written.registrationId, outs: outputs(fromWire(written, view.attestation), inputs) };
    } catch (error) {
      const status = error instanceof DpsServiceError ? error.status : undefined;
      if (status !== 409) throw error;
      const current = await readCurrent(service, inputs.registrationId, undefined, !keysGiven(inputs));
      if (error instanceof AmbiguousWriteError && sameKeys(current.attestation, view.attestation)) {
        // Our own first attempt landed but its answer was lost: the enrollment is ours.
        return {
          id: current.registrationId,
          outs: outputs({ ...current, attestation: view.attestation }, inputs),
        };
      }
      if (!inputs.adopt && current.attestation.type === view.attestation.type) {
        // A create interrupted after its PUT landed (the engine was killed; `pulumi refresh
        // --clear-pending-creates` then forgot it) left exactly what the program declares: take it as
        // this create's result, with nothing to write. Anything that differs still needs `adopt`.
        if (!diffEnrollment({ ...current, connection: inputs.connection }, inputs).changes) {
          return { id: current.registrationId, outs: outputs(current, inputs) };
        }
      }
      if (!inputs.adopt) {
        throw new Error(
          `Enrollment "${inputs.registrationId}" already exists in ${service.hostName}. To manage it from this ` +
            "program with Set semantics (change only what the program sets, keep the rest), set `adopt: true`; " +
            "to only read it, use IndividualEnrollment.get. Nothing was changed.",
          { cause: error },
        );
      }
      if (current.attestation.type !== view.attestation.type) {
        throw new Error(
          `Enrollment "${inputs.registrationId}" exists with ${current.attestation.type} attestation, but the ` +
            `program gives ${view.attestation.type}; an attestation type cannot change in place. Use the ` +
            "existing type, or delete the enrollment first. Nothing was changed.",
          { cause: error },
        );
      }
      const adopted = await setWithEtag(service, current, inputs);
      return { id: adopted.registrationId, outs: outputs(adopted, inputs) };
    }
  },

  async read(id: string, props: Record<string, unknown>): Promise<dynamic.ReadResult> {
    const state = props as unknown as Partial<EnrollmentOutputs>;
    if (!isObject(state.connection)) {
      throw new Error("IndividualEnrollment.get needs { connection } to know which DPS to read from.");
    }
    const connection = state.connection;
    const service = EnrollmentService.for(connection);
    const registrationId = state.registrationId ?? id;
    const wire = await service.get(registrationId);
    if (!wire && state.etag === undefined) {
      // A `get` (no state yet): storing an empty resource would hide the mistake until much later.
      throw new Error(
        missingMessage(
          registrationId,
          service.hostName,
          "IndividualEnrollment.get found nothing to read: check the registration id and the connection.",
        ),
      );
    }
    if (!wire) return { id: "", props: {} }; // A refresh: deleted out of band, so Pulumi forgets it.
    const known = state.attestation;
    // Keys are re-read only when the enrollment changed since it was last seen (or they are unknown):
    // a refresh of an unchanged enrollment stays one call.
    const keysUnknown = !known?.primaryKey;
    if (wire.attestation?.type === "symmetricKey" && (keysUnknown || wire.etag !== state.etag)) {
      wire.attestation = await service.attestation(registrationId);
    }
    const view = fromWire(wire, known);
    const outs: EnrollmentOutputs = { ...view, connection };
    if (state.adopt !== undefined) outs.adopt = state.adopt;
    const managed = (state as Record<string, unknown>)[MANAGED_KEY];
    if (managed !== undefined) (outs as unknown as Record<string, unknown>)[MANAGED_KEY] = managed;
    if (state.etag === undefined) {
      // A `get`: there are no inputs yet; these make a later program that adopts it diff cleanly.
      return {
        id: view.registrationId,
        props: outs,
        inputs: {
          connection,
          registrationId: view.registrationId,
          attestation: { type: view.attestation.type },
        },
      };
    }
    // Drift in what the program manages becomes the stored inputs, so the next preview names it.
    const inputs = refreshedInputs(state, view);
    return inputs
      ? { id: view.registrationId, props: outs, inputs }
      : { id: view.registrationId, props: outs };
  },

  async update(
    _id: string,
    olds: EnrollmentOutputs,
    raw: Record<string, unknown>,
  ): Promise<dynamic.UpdateResult> {
    const inputs = asInputs(raw);
    const diff = diffEnrollment(olds, inputs);
    if (onlyConnectionChanged(diff) || !diff.changes) {
      // New credentials or endpoint for the same DPS: nothing to write, but one read proves the new
      // connection works before the stack stores it (a wrong key would otherwise surface much later).
      if (diff.changed.includes("connection")) await verifyConnection(inputs);
      const outs: EnrollmentOutputs = { ...olds, connection: inputs.connection };
      if (inputs.adopt === undefined) delete outs.adopt;
      else outs.adopt = inputs.adopt;
      (outs as unknown as Record<string, unknown>)[MANAGED_KEY] = managedKeys(inputs);
      return { outs };
    }
    const service = EnrollmentService.for(inputs.connection);
    let current: EnrollmentView = { ...olds };
    delete (current as Partial<EnrollmentOutputs>).connection;
    delete (current as Partial<EnrollmentOutputs>).adopt;
    if (
      current.attestation.type === "symmetricKey" &&
      !current.attestation.primaryKey &&
      !keysGiven(inputs)
    ) {
      current = await readCurrent(service, inputs.registrationId, current.attestation, true);
    }
    const view = await setWithEtag(service, current, inputs);
    return { outs: outputs(view, inputs) };
  },

  async delete(id: string, props: EnrollmentOutputs): Promise<void> {
    const service = EnrollmentService.for(props.connection);
    await service.delete(props.registrationId ?? id);
  },
};

/** The `pulumi.dynamic.ResourceProvider` of `IndividualEnrollment`. */
export const enrollmentProvider: dynamic.ResourceProvider = {
  ...provider,
  check: reportedOnce(provider.check),
  diff: reportedOnce(provider.diff),
  read: reportedOnce(provider.read),
  delete: reportedOnce(provider.delete),
};
