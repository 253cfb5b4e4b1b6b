/**
 * The dynamic face: the `pulumi.dynamic.ResourceProvider` of a kind, served by Pulumi's
 * dynamic-provider plugin. It adds what only this face has to the shared operations of
 * `core/lifecycle.ts`: the connection given per resource or by the stack config (kept in state as
 * `{ hostName }`), the `import` option carried as the internal input `__import`, and errors printed once.
 */
import type { dynamic } from "@pulumi/pulumi";
import { asInputs, isObject } from "../core/checks";
import { diffEnrollment } from "../core/diff";
import { managedKeys, refreshedInputs } from "../core/drift";
import { reportedOnce } from "../core/errors";
import { engineId } from "../core/identity";
import type { EnrollmentKind } from "../core/kind";
import {
  checkImport,
  checkInputs,
  createEnrollment,
  deleteEnrollment,
  readEnrollment,
  updateEnrollment,
  type FaceOptions,
} from "../core/lifecycle";
import {
  CONFIG_NAMESPACE,
  configureStackConnection,
  isStackReference,
  resolveConnection,
  stackConnection,
  stackReference,
} from "./stackConnection";
import type { EnrollmentInputs, EnrollmentOutputs } from "../core/types";
import { countedWrite } from "../core/writeSteps";
import { IMPORT_KEY, MANAGED_KEY } from "./keys";

/**
 * `inputs` with an absent connection (the stack config gives it) named by its reference
 * `{ hostName }`, which is what outputs keep and diffs compare.
 */
function withConnection(inputs: EnrollmentInputs): EnrollmentInputs {
  return inputs.connection === undefined ? { ...inputs, connection: stackReference() } : inputs;
}

/** The state of this face: the record's outputs and the properties the program manages. */
type StateOutputs = EnrollmentOutputs & { [MANAGED_KEY]?: string[] };

/** `outs` with what the program manages, so that a refresh can name drift (core/drift.ts). */
function withManaged(outs: EnrollmentOutputs, inputs: EnrollmentInputs): StateOutputs {
  return { ...outs, [MANAGED_KEY]: managedKeys(inputs) };
}

/** What this face adds to the shared operations: a reference to the stack config's connection resolves to it. */
const FACE: FaceOptions = { resolveConnection };

/** The `pulumi.dynamic.ResourceProvider` of `kind`, with the Set semantics of its Set cmdlet. */
export function createProvider(kind: EnrollmentKind): dynamic.ResourceProvider {
  const provider = {
    /** Keeps the stack config's connection (see stackConnection.ts); the plugin calls it once per process. */
    async configure(req: dynamic.ConfigureRequest): Promise<void> {
      configureStackConnection((key) => req.config.get(key));
    },

    async check(olds: Record<string, unknown>, news: Record<string, unknown>): Promise<dynamic.CheckResult> {
      // Without `connection`, the stack config's is checked, and not stored in the inputs.
      const { inputs, failures } = checkInputs(
        kind,
        news,
        stackConnection(),
        `stack config ${CONFIG_NAMESPACE}:*`,
      );
      // The `import` option matters only while the resource is not in the stack yet (no olds).
      if (failures.length === 0 && news[IMPORT_KEY] !== undefined && Object.keys(olds).length === 0) {
        failures.push(...(await checkImport(kind, withConnection(asInputs(inputs)), news[IMPORT_KEY], FACE)));
      }
      return { inputs, failures };
    },

    async diff(_id: string, olds: EnrollmentOutputs, news: EnrollmentInputs): Promise<dynamic.DiffResult> {
      // Stored as a reference, the enrollment is reachable only while the stack config names its DPS:
      // fail the preview now rather than plan a replace whose delete could not reach the old record.
      if (isStackReference(olds.connection)) resolveConnection(olds.connection);
      const diff = diffEnrollment(olds, withConnection(news), kind);
      return {
        changes: diff.changes,
        replaces: diff.replaces,
        deleteBeforeReplace: diff.deleteBeforeReplace,
      };
    },

    async create(raw: Record<string, unknown>): Promise<dynamic.CreateResult> {
      const inputs = withConnection(asInputs(raw));
      const { id, outs } = await countedWrite(() =>
        createEnrollment(kind, inputs, raw[IMPORT_KEY] !== undefined, FACE),
      );
      return { id, outs: withManaged(outs, inputs) };
    },

    async read(id: string, stored: Record<string, unknown>): Promise<dynamic.ReadResult> {
      const state = stored as Partial<StateOutputs>;
      if (state.connection !== undefined && !isObject(state.connection)) {
        throw new Error(`${kind.resource}.get needs { connection } to know which DPS to read from.`);
      }
      // A `get` without `connection` reads from the stack config's DPS.
      const result = await readEnrollment(kind, id, state, state.connection ?? stackReference(), FACE);
      if (!result.id) return { id: result.id, props: result.outs }; // Gone: Pulumi forgets it.
      const managed = state[MANAGED_KEY];
      const props: StateOutputs =
        managed === undefined ? result.outs : { ...result.outs, [MANAGED_KEY]: managed };
      // A refresh: drift in what the program manages becomes the stored inputs, so the next preview names it.
      const inputs =
        result.inputs ??
        (state.etag === undefined ? undefined : refreshedInputs(state, result.outs, kind, managed));
      return inputs ? { id: result.id, props, inputs } : { id: result.id, props };
    },

    async update(
      id: string,
      olds: EnrollmentOutputs,
      raw: Record<string, unknown>,
    ): Promise<dynamic.UpdateResult> {
      engineId(kind, id, olds, raw);
      const inputs = withConnection(asInputs(raw));
      const outs = await countedWrite(() => updateEnrollment(kind, olds, inputs, FACE));
      return { outs: withManaged(outs, inputs) };
    },

    async delete(id: string, props: EnrollmentOutputs): Promise<void> {
      await countedWrite(() => deleteEnrollment(kind, id, props, FACE));
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
