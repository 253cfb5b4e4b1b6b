/**
 * The plugin handlers of a kind of enrollment (individual enrollment, enrollment group): the shared
 * operations of `core/lifecycle.ts` with the kind and the configured connection, on plain values.
 * Each descriptor of such a kind names `enrollmentOperations(itself)` as its `plugin.operations`.
 */
import { asInputs, UNKNOWN, type CheckFailure } from "../core/checks";
import { diffEnrollment } from "../core/diff";
import { engineId } from "../core/identity";
import type { EnrollmentKind } from "../core/kind";
import {
  checkInputs,
  createEnrollment,
  DATA_PLANE_KEY,
  deleteEnrollment,
  readEnrollment,
  updateEnrollment,
} from "../core/lifecycle";
import { previewCreate, previewUpdate } from "../core/preview";
import type { EnrollmentConnection, EnrollmentOutputs } from "../core/types";
import { detailedDiff } from "./diff";
import type { PluginContext, PluginOperations } from "./operations";
import { PACKAGE } from "./properties";
import { isSecret, reveal, revealProps, secret } from "./values";

/** Whether an attestation holds symmetric keys, or may (unknown in a preview): then it goes back secret. */
export function holdsKeys(attestation: unknown): boolean {
  const a = reveal(attestation);
  if (a === UNKNOWN) return true;
  const fields = a as { primaryKey?: unknown; secondaryKey?: unknown } | undefined;
  return fields?.primaryKey !== undefined || fields?.secondaryKey !== undefined;
}

/**
 * The state the plugin stores: the core's outputs without the connection (provider configuration
 * holds it), without the managed-property list (the plugin diffs against outputs itself) or what
 * the dynamic face kept beside the record (`__provider`, in state moved over from it), the
 * attestation secret when it holds keys.
 */
export function pluginState(outs: EnrollmentOutputs): Record<string, unknown> {
  const { connection: _connection, ...rest } = outs;
  const state: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(rest)) {
    if (!key.startsWith("__") || key === DATA_PLANE_KEY) state[key] = value;
  }
  if (holdsKeys(state.attestation)) state.attestation = secret(state.attestation);
  return state;
}

/** The failure of a `connection` input: the plugin takes the DPS from provider configuration. */
export function connectionInputFailure(resource: string): CheckFailure {
  return {
    property: "connection",
    reason:
      `connection is not an argument of ${PACKAGE}:index:${resource}: the provider's configuration ` +
      `names the DPS (${PACKAGE}:connectionString, or an explicit provider). Remove connection.`,
  };
}

/**
 * Inputs of a Create or Update checked as `Check` would (a caller may skip it), with the configured
 * connection; throws naming every failure.
 */
function checked(kind: EnrollmentKind, raw: Record<string, unknown>, context: PluginContext) {
  const connection = context.connectionOr();
  const { connection: _given, ...rest } = raw;
  const { inputs, failures } = checkInputs(kind, rest, connection, context.where);
  if (failures.length > 0) {
    throw new Error(
      `${kind.resource} inputs are not valid (the engine's Check would have refused them): ` +
        failures.map((f) => `${f.property}: ${f.reason}`).join(" "),
    );
  }
  return asInputs({ ...inputs, connection });
}

/** The plugin handlers of `kind`. */
export function enrollmentOperations(kind: EnrollmentKind): PluginOperations {
  return {
    check({ news }, context) {
      const failures: CheckFailure[] = [];
      const raw = revealProps(news);
      if (raw.connection !== undefined) {
        failures.push(connectionInputFailure(kind.resource));
        delete raw.connection;
      }
      const connection = context.connectionOr(failures);
      const outcome = checkInputs(kind, raw, connection, context.where);
      failures.push(
        ...outcome.failures.filter((f) => context.connection || !f.property.startsWith("connection")),
      );
      const inputs: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(outcome.inputs)) {
        if (value === undefined) continue;
        const keep = isSecret(news[key]) || (key === "attestation" && holdsKeys(value));
        inputs[key] = keep ? secret(value) : value;
      }
      return { inputs, failures };
    },

    diff({ olds, news }, context) {
      const connection = context.connection ?? {};
      const diff = diffEnrollment(
        { ...olds, connection } as unknown as EnrollmentOutputs,
        asInputs({ ...news, connection }),
        kind,
      );
      return {
        changes: diff.changes,
        replaces: diff.replaces.filter((key) => key !== "connection"),
        deleteBeforeReplace: diff.deleteBeforeReplace,
        detailed: detailedDiff(diff, olds, news),
        inputDiff: false,
      };
    },

    async create({ properties, preview }, context) {
      if (preview) {
        // A preview: what the create will leave, with no call (the connection is not needed).
        const outs = previewCreate(kind, asInputs({ ...properties, connection: {} }));
        return { id: "", properties: pluginState(outs) };
      }
      const { id, outs } = await createEnrollment(kind, checked(kind, properties, context), false);
      return { id, properties: pluginState(outs) };
    },

    async read({ id, state, inputs }, context) {
      const importing = Object.keys(state).length === 0;
      engineId(kind, id, inputs);
      const result = await readEnrollment(
        kind,
        id,
        state as Partial<EnrollmentOutputs>,
        context.connectionOr(),
      );
      if (!result.id) return { id: "" }; // Deleted out of band: the engine forgets it.
      if (importing && result.inputs) {
        // Read by id alone (`pulumi import`): the inputs a program declaring this record would give.
        const { connection: _connection, ...imported } = result.inputs;
        return { id: result.id, properties: pluginState(result.outs), inputs: imported };
      }
      return { id: result.id, properties: pluginState(result.outs) };
    },

    async update({ id, olds: state, news, preview }, context) {
      const connection: EnrollmentConnection = preview ? (context.connection ?? {}) : context.connectionOr();
      const olds = { ...state, connection } as unknown as EnrollmentOutputs;
      // The engine's id is the record's: state or inputs naming another fail before any call.
      engineId(kind, id, olds, news);
      // A preview: what the Set will keep and what the service will decide, with no call.
      const outs = preview
        ? previewUpdate(kind, olds, asInputs({ ...news, connection }))
        : await updateEnrollment(kind, olds, checked(kind, news, context));
      return pluginState(outs);
    },

    async delete({ id, properties }, context) {
      const connection = context.connectionOr();
      await deleteEnrollment(kind, id, { ...(properties as Partial<EnrollmentOutputs>), connection });
    },
  };
}
