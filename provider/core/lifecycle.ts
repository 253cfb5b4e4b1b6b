/**
 * The dynamic provider of any kind of enrollment: check, diff, create, read, update (Set semantics)
 * and delete. The rules are pure functions elsewhere; this module sequences the service calls. Each
 * kind's provider is `createProvider(kind)`, exported by `provider/runtime.ts`.
 */
import type { dynamic } from "@pulumi/pulumi";
import { diffEnrollment, onlyConnectionChanged } from "./diff";
import { MANAGED_KEY, managedKeys, refreshedInputs } from "./drift";
import { DpsServiceError, reportedOnce } from "./errors";
import { IMPORT_KEY, importDifferences, importMismatchMessage } from "./importing";
import type { EnrollmentKind } from "./kind";
import { DATA_PLANE_API_VERSION } from "./dataPlane";
import { applySet, createView, fromWire, toWire } from "./semantics";
import { AmbiguousWriteError, EnrollmentService } from "./service";
import type { AttestationState, EnrollmentInputs, EnrollmentOutputs, EnrollmentView } from "./types";
import { asInputs, isObject, isUnknown } from "./checks";
import {
  CONFIG_NAMESPACE,
  configureStackConnection,
  isStackReference,
  resolveConnection,
  stackConnection,
  stackReference,
} from "./stackConnection";

/** The state key of the api-version the stored view was read or written with (internal, like `__managed`). */
export const DATA_PLANE_KEY = "__dataPlane" as const;

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

/** The state of a view just read or written (at {@link DATA_PLANE_API_VERSION}). */
function outputs(view: EnrollmentView, inputs: EnrollmentInputs): EnrollmentOutputs {
  const outs: EnrollmentOutputs = {
    ...view,
    connection: inputs.connection,
    [DATA_PLANE_KEY]: DATA_PLANE_API_VERSION,
  };
  if (inputs.adopt !== undefined) outs.adopt = inputs.adopt;
  // What the program manages, so that a refresh can name drift (see drift.ts).
  outs[MANAGED_KEY] = managedKeys(inputs);
  return outs;
}

/**
 * `inputs` with an absent connection (the stack config gives it) named by its reference
 * `{ hostName }`, which is what outputs keep and diffs compare.
 */
function withConnection(inputs: EnrollmentInputs): EnrollmentInputs {
  return inputs.connection === undefined ? { ...inputs, connection: stackReference() } : inputs;
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

/** The `pulumi.dynamic.ResourceProvider` of `kind`, with the Set semantics of its Set cmdlet. */
export function createProvider(kind: EnrollmentKind): dynamic.ResourceProvider {
  const idOf = (x: { registrationId?: string; enrollmentGroupId?: string }): string => x[kind.idKey] ?? "";

  /**
   * Reads the record as the service holds it, with its symmetric keys when `withKeys` (GET never
   * returns them; keeping them is what stops a Set from dropping them). Throws when it is gone.
   */
  async function readCurrent(
    service: EnrollmentService,
    id: string,
    known: AttestationState | undefined,
    withKeys: boolean,
    whenMissing = `${kind.noun} "${id}" no longer exists in ${service.hostName}; it was deleted outside Pulumi. ` +
      "Run `pulumi refresh` to forget it, then `pulumi up` to create it again.",
  ): Promise<EnrollmentView> {
    const wire = await service.get(id);
    if (!wire) throw new Error(whenMissing);
    if (withKeys && wire.attestation?.type === "symmetricKey") {
      wire.attestation = await service.attestation(id);
    }
    return fromWire(wire, known, kind);
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
        const written = await service.put(toWire(desired, current.etag ?? "*", kind));
        return fromWire(written, desired.attestation, kind);
      } catch (error) {
        const status = error instanceof DpsServiceError ? error.status : undefined;
        if (status !== 412) throw error;
        if (attempt > MAX_CONFLICT_RETRIES)
          throw new EnrollmentConflictError(kind.noun, idOf(inputs), attempt);
        current = await readCurrent(service, idOf(inputs), current.attestation, !keysGiven(inputs));
      }
    }
  }

  const missing = (id: string, hostName: string, fix: string) =>
    `${kind.noun} "${id}" does not exist in ${hostName}. ${fix}`;

  /**
   * The record the `import` option names, with its symmetric keys (to compare with the program's, or
   * to keep in state), and how it differs from the program. Throws when it does not exist.
   */
  async function readForImport(
    service: EnrollmentService,
    inputs: EnrollmentInputs,
  ): Promise<{ current: EnrollmentView; differences: string[] }> {
    const id = idOf(inputs);
    const current = await readCurrent(
      service,
      id,
      undefined,
      true, // Keys are state: compare them with the program's, or keep them.
      missing(
        id,
        service.hostName,
        "There is nothing to import: check the id and the connection, or remove the `import` option to create it.",
      ),
    );
    return { current, differences: importDifferences(current, inputs, kind.idKey) };
  }

  /** Check failures of the `import` option: a wrong id, or (when everything is known) a program that does not match. */
  async function checkImport(inputs: EnrollmentInputs, importId: unknown): Promise<dynamic.CheckFailure[]> {
    const id = idOf(inputs);
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
    const service = EnrollmentService.for(inputs.connection, kind);
    const { differences } = await readForImport(service, inputs);
    if (differences.length === 0) return [];
    // Reported on the id: the engine cannot show the `import` option's value.
    return [
      { property: kind.idKey, reason: importMismatchMessage(kind.noun, id, service.hostName, differences) },
    ];
  }

  /** One GET with the new connection; throws, so the stack keeps its old connection, when it does not work. */
  async function verifyConnection(inputs: EnrollmentInputs): Promise<void> {
    const id = idOf(inputs);
    const service = EnrollmentService.for(inputs.connection, kind);
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
          id,
          service.hostName,
          "The changed connection works, but the record is not there: if it was deleted outside Pulumi, run " +
            "`pulumi refresh` to forget it and `pulumi up` to create it again; otherwise check that the " +
            "connection names the same DPS. The stack keeps the previous connection.",
        ),
      );
    }
  }

  const provider = {
    /** Keeps the stack config's connection (see stackConnection.ts); the plugin calls it once per process. */
    async configure(req: dynamic.ConfigureRequest): Promise<void> {
      configureStackConnection((key) => req.config.get(key));
    },

    async check(olds: Record<string, unknown>, news: Record<string, unknown>): Promise<dynamic.CheckResult> {
      // Without `connection`, the stack config's is checked, and not stored in the inputs.
      const fromStack = news.connection === undefined ? stackConnection() : undefined;
      const { inputs, failures } = kind.check(fromStack ? { ...news, connection: fromStack } : news);
      if (fromStack) {
        delete inputs.connection;
        for (const f of failures) {
          if (f.property.startsWith("connection"))
            f.reason = `In stack config ${CONFIG_NAMESPACE}:*: ${f.reason}`;
        }
      }
      // The `import` option matters only while the resource is not in the stack yet (no olds).
      if (failures.length === 0 && news[IMPORT_KEY] !== undefined && Object.keys(olds).length === 0) {
        failures.push(...(await checkImport(asInputs(inputs), news[IMPORT_KEY])));
      }
      return { inputs, failures };
    },

    async diff(_id: string, olds: EnrollmentOutputs, news: EnrollmentInputs): Promise<dynamic.DiffResult> {
      // Stored as a reference, the enrollment is reachable only while the stack config names its DPS:
      // fail the preview now rather than plan a replace whose delete could not reach the old record.
      if (isStackReference(olds.connection)) resolveConnection(olds.connection);
      const diff = diffEnrollment(olds, withConnection(news), kind.idKey);
      return {
        changes: diff.changes,
        replaces: diff.replaces,
        deleteBeforeReplace: diff.deleteBeforeReplace,
      };
    },

    async create(raw: Record<string, unknown>): Promise<dynamic.CreateResult> {
      const inputs = withConnection(asInputs(raw));
      const id = idOf(inputs);
      const service = EnrollmentService.for(inputs.connection, kind);
      if (raw[IMPORT_KEY] !== undefined) {
        // Taken into the stack as it is, with no write, or not at all.
        const { current, differences } = await readForImport(service, inputs);
        if (differences.length > 0) {
          throw new Error(importMismatchMessage(kind.noun, id, service.hostName, differences));
        }
        const attestation = { ...current.attestation, ...(inputs.attestation as Partial<AttestationState>) };
        return { id: idOf(current), outs: outputs({ ...current, attestation }, inputs) };
      }
      const view = createView(inputs, undefined, kind);
      try {
        const written = await service.put(toWire(view, undefined, kind));
        return { id: idOf(written), outs: outputs(fromWire(written, view.attestation, kind), inputs) };
      } catch (error) {
        const status = error instanceof DpsServiceError ? error.status : undefined;
        if (status !== 409) throw error;
        const current = await readCurrent(service, id, undefined, !keysGiven(inputs));
        if (error instanceof AmbiguousWriteError && sameKeys(current.attestation, view.attestation)) {
          // Our own first attempt landed but its answer was lost: the record is ours.
          return { id: idOf(current), outs: outputs({ ...current, attestation: view.attestation }, inputs) };
        }
        if (!inputs.adopt && current.attestation.type === view.attestation.type) {
          // A create interrupted after its PUT landed (the engine was killed; `pulumi refresh
          // --clear-pending-creates` then forgot it) left exactly what the program declares: take it as
          // this create's result, with nothing to write. Anything that differs still needs `adopt`.
          if (!diffEnrollment({ ...current, connection: inputs.connection }, inputs, kind.idKey).changes) {
            return { id: idOf(current), outs: outputs(current, inputs) };
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
        const adopted = await setWithEtag(service, current, inputs);
        return { id: idOf(adopted), outs: outputs(adopted, inputs) };
      }
    },

    async read(id: string, props: Record<string, unknown>): Promise<dynamic.ReadResult> {
      const state = props as Partial<EnrollmentOutputs>;
      if (state.connection !== undefined && !isObject(state.connection)) {
        throw new Error(`${kind.resource}.get needs { connection } to know which DPS to read from.`);
      }
      // A `get` without `connection` reads from the stack config's DPS.
      const connection = state.connection ?? stackReference();
      const service = EnrollmentService.for(connection, kind);
      const recordId = state[kind.idKey] ?? id;
      // A refresh may be served from query pages (many records of one DPS); a `get` reads just one.
      const wire = state.etag === undefined ? await service.get(recordId) : await service.read(recordId);
      if (!wire && state.etag === undefined) {
        // A `get` (no state yet): storing an empty resource would hide the mistake until much later.
        throw new Error(
          missing(
            recordId,
            service.hostName,
            `${kind.resource}.get found nothing to read: check the id and the connection.`,
          ),
        );
      }
      if (!wire) return { id: "", props: {} }; // A refresh: deleted out of band, so Pulumi forgets it.
      const known = state.attestation;
      // Keys are re-read only when the record changed since it was last seen (or they are unknown):
      // a refresh of an unchanged record stays one call.
      const keysUnknown = !known?.primaryKey;
      if (wire.attestation?.type === "symmetricKey" && (keysUnknown || wire.etag !== state.etag)) {
        wire.attestation = await service.attestation(recordId);
      }
      const view = fromWire(wire, known, kind);
      const outs: EnrollmentOutputs = { ...view, connection, [DATA_PLANE_KEY]: DATA_PLANE_API_VERSION };
      if (state.adopt !== undefined) outs.adopt = state.adopt;
      if (state[MANAGED_KEY] !== undefined) outs[MANAGED_KEY] = state[MANAGED_KEY];
      if (state.etag === undefined) {
        // A `get`: there are no inputs yet; these make a later program that adopts it diff cleanly.
        return {
          id: idOf(view),
          props: outs,
          inputs: { connection, [kind.idKey]: idOf(view), attestation: { type: view.attestation.type } },
        };
      }
      // Drift in what the program manages becomes the stored inputs, so the next preview names it.
      const inputs = refreshedInputs(state, view, kind.idKey);
      return inputs ? { id: idOf(view), props: outs, inputs } : { id: idOf(view), props: outs };
    },

    async update(
      _id: string,
      olds: EnrollmentOutputs,
      raw: Record<string, unknown>,
    ): Promise<dynamic.UpdateResult> {
      const inputs = withConnection(asInputs(raw));
      const diff = diffEnrollment(olds, inputs, kind.idKey);
      if (onlyConnectionChanged(diff) || !diff.changes) {
        // New credentials or endpoint for the same DPS: nothing to write, but one read proves the new
        // connection works before the stack stores it (a wrong key would otherwise surface much later).
        if (diff.changed.includes("connection")) await verifyConnection(inputs);
        const outs: EnrollmentOutputs = { ...olds, connection: inputs.connection };
        if (inputs.adopt === undefined) delete outs.adopt;
        else outs.adopt = inputs.adopt;
        outs[MANAGED_KEY] = managedKeys(inputs);
        return { outs };
      }
      const service = EnrollmentService.for(inputs.connection, kind);
      let current: EnrollmentView = { ...olds };
      delete (current as Partial<EnrollmentOutputs>).connection;
      delete (current as Partial<EnrollmentOutputs>).adopt;
      const keysMissing =
        current.attestation.type === "symmetricKey" && !current.attestation.primaryKey && !keysGiven(inputs);
      if (keysMissing || olds[DATA_PLANE_KEY] !== DATA_PLANE_API_VERSION) {
        // State from before 2026-11-01 was spoken may lack fields only that version returns (ADR
        // references someone else set): with the stored etag still current, a Set from it would
        // remove them. One read first, once per enrollment after the upgrade.
        current = await readCurrent(service, idOf(inputs), current.attestation, keysMissing);
      }
      const view = await setWithEtag(service, current, inputs);
      return { outs: outputs(view, inputs) };
    },

    async delete(id: string, props: EnrollmentOutputs): Promise<void> {
      const service = EnrollmentService.for(props.connection, kind);
      await service.delete(props[kind.idKey] ?? id);
    },
  };
  return {
    ...provider,
    check: reportedOnce(provider.check),
    diff: reportedOnce(provider.diff),
    read: reportedOnce(provider.read),
    delete: reportedOnce(provider.delete),
  };
}
