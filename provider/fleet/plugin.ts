/**
 * The plugin handlers of `EnrollmentFleet`: the fleet's operations (check.ts, diff.ts, lifecycle.ts)
 * on the plugin's plain values, with the configured connection. What only this face does: the items'
 * keys go back secret, the detailed diff comes from the request's old inputs (the engine sends them),
 * previews make no call, and a partial failure goes to the engine as its partial-failure answer.
 */
import { isObject, isUnknown, UNKNOWN, type CheckFailure } from "../core/checks";
import { DATA_PLANE_KEY } from "../core/lifecycle";
import type { EnrollmentConnection } from "../core/types";
import { connectionInputFailure, holdsKeys } from "../plugin/enrollmentOperations";
import { PartialFailure, type PluginContext, type PluginOperations } from "../plugin/operations";
import { isSecret, revealProps, secret } from "../plugin/values";
import { checkFleet, impliedType } from "./check";
import { detailedFleetDiff, diffFleet } from "./diff";
import { createFleet, deleteFleet, FleetPartialFailure, readFleet, updateFleet } from "./lifecycle";
import type { FleetInputs, FleetOutputs } from "./types";

/** How a diff names item `id`: `enrollments["line7-0042"]`. */
function itemKey(id: string): string {
  return `enrollments[${JSON.stringify(id)}]`;
}

/** The fleet's resource name, for messages. */
const RESOURCE = "EnrollmentFleet";
/** The state keys the plugin keeps besides the outputs users see. */
const INTERNAL = new Set(["__fleet", "__managed", DATA_PLANE_KEY]);

/**
 * Inputs with every item attestation that holds keys (or may: unknown) secret, and every property
 * the engine sent secret kept secret.
 */
function withSecrets(
  inputs: Record<string, unknown>,
  news: Record<string, unknown> = {},
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(inputs)) {
    if (value === undefined) continue;
    if (isSecret(news[key])) out[key] = secret(value);
    else if (key === "enrollments" && isObject(value) && !isUnknown(value)) {
      out[key] = secretItems(value, isObject(news[key]) ? news[key] : {});
    } else out[key] = value;
  }
  return out;
}

function secretItems(items: Record<string, unknown>, sent: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [id, item] of Object.entries(items)) {
    const given = isObject(sent[id]) ? sent[id] : {};
    if (isSecret(sent[id])) out[id] = secret(item);
    else if (isObject(item) && (holdsKeys(item.attestation) || isSecret(given.attestation))) {
      out[id] = { ...item, attestation: secret(item.attestation) };
    } else out[id] = item;
  }
  return out;
}

/** The state the plugin stores: the outputs without the connection (provider configuration holds it), the keys secret. */
export function fleetState(outs: FleetOutputs): Record<string, unknown> {
  const state: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(outs)) {
    if (key === "connection" || value === undefined) continue;
    if (key.startsWith("__") && !INTERNAL.has(key)) continue;
    state[key] = key === "deviceKeys" ? secret(value) : value;
  }
  return state;
}

/** The inputs a program declaring what was read would give: without the connection, keys secret. */
function declared(inputs: FleetInputs): Record<string, unknown> {
  const { connection: _connection, ...rest } = inputs;
  return withSecrets(rest as Record<string, unknown>);
}

/** Checked inputs of a Create or Update (a caller may skip Check), with the configured connection; throws naming every failure. */
function checked(raw: Record<string, unknown>, context: PluginContext): FleetInputs {
  const connection = context.connectionOr();
  const { connection: _given, ...rest } = raw;
  const { inputs, failures } = checkFleet(rest, connection, context.where);
  if (failures.length > 0) {
    throw new Error(
      `${RESOURCE} inputs are not valid (the engine's Check would have refused them): ` +
        failures.map((f) => `${f.property}: ${f.reason}`).join(" "),
    );
  }
  return { ...(inputs as unknown as FleetInputs), connection };
}

/** The engine's partial-failure answer of a fleet write that landed in part. */
function partial(error: unknown, id: string): unknown {
  if (!(error instanceof FleetPartialFailure)) return error;
  return new PartialFailure(
    error.message,
    { id: error.id || id, properties: fleetState(error.outs) },
    error.failures.map((f) => `${f.id}: ${f.reason}`),
  );
}

/** Whether item `item` has keys the service generates (a symmetric-key item that gives none). */
function generatesKeys(item: unknown): boolean {
  if (!isObject(item) || !isObject(item.attestation)) return isUnknown(item);
  const attestation = item.attestation;
  const type = attestation.type ?? impliedType(attestation);
  return isUnknown(type) || (type === "symmetricKey" && typeof attestation.primaryKey !== "string");
}

/**
 * What a write will leave, told in a preview with no call: the count when the items are known, the
 * keys known so far, the rest unknown (never a made-up value).
 */
function previewState(
  news: Record<string, unknown>,
  olds: Record<string, unknown> = {},
): Record<string, unknown> {
  const items = news.enrollments;
  if (!isObject(items) || isUnknown(items)) {
    return { enrollmentCount: UNKNOWN, deviceKeys: secret(UNKNOWN), __fleet: UNKNOWN };
  }
  const known = (isObject(olds.deviceKeys) ? olds.deviceKeys : {}) as Record<string, unknown>;
  const keys: Record<string, unknown> = {};
  let unknownKeys = false;
  for (const [id, item] of Object.entries(items)) {
    const attestation = isObject(item) && isObject(item.attestation) ? item.attestation : {};
    if (typeof attestation.primaryKey === "string" && typeof attestation.secondaryKey === "string") {
      keys[id] = { primaryKey: attestation.primaryKey, secondaryKey: attestation.secondaryKey };
    } else if (generatesKeys(item)) {
      if (known[id] !== undefined) keys[id] = known[id];
      else unknownKeys = true;
    }
  }
  const state: Record<string, unknown> = { enrollmentCount: Object.keys(items).length, __fleet: UNKNOWN };
  if (unknownKeys) state.deviceKeys = secret(UNKNOWN);
  else if (Object.keys(keys).length > 0) state.deviceKeys = secret(keys);
  if (news.adopt !== undefined) state.adopt = news.adopt;
  return state;
}

/** The plugin handlers of `EnrollmentFleet`. */
export const FLEET_OPERATIONS: PluginOperations = {
  check({ news }, context) {
    const failures: CheckFailure[] = [];
    const raw = revealProps(news);
    if (raw.connection !== undefined) {
      failures.push(connectionInputFailure(RESOURCE));
      delete raw.connection;
    }
    const connection = context.connectionOr(failures);
    const outcome = checkFleet(raw, connection, context.where);
    failures.push(
      ...outcome.failures.filter((f) => context.connection || !f.property.startsWith("connection")),
    );
    return { inputs: withSecrets(outcome.inputs, news), failures };
  },

  diff({ olds, oldInputs, news }) {
    const fleet = diffFleet(olds as Partial<FleetOutputs>, news as unknown as FleetInputs);
    if (!fleet.changes) {
      return { changes: false, replaces: [], deleteBeforeReplace: false, detailed: {}, inputDiff: true };
    }
    const detailed: Record<string, "add" | "delete" | "update"> =
      Object.keys(oldInputs).length > 0
        ? detailedFleetDiff(oldInputs as Partial<FleetInputs>, news as unknown as FleetInputs)
        : {};
    // What the ledger knows beyond the inputs: no old inputs sent, an item that failed last time.
    const paths = Object.keys(detailed);
    const defaultsNamed = paths.some((path) => path.startsWith("defaults"));
    const kinds = [
      [fleet.added, "add"],
      [fleet.removed, "delete"],
      [fleet.changed, "update"],
    ] as const;
    for (const [ids, change] of kinds) {
      for (const id of ids) {
        const item = itemKey(id);
        if (paths.some((path) => path === item || path.startsWith(`${item}.`))) continue;
        if (change === "update" && defaultsNamed) continue;
        detailed[item] = change;
      }
    }
    // The state does not repeat the items: the engine shows old inputs against new ones.
    return { changes: true, replaces: [], deleteBeforeReplace: false, detailed, inputDiff: true };
  },

  async create({ properties, preview }, context) {
    if (preview) return { id: "", properties: previewState(properties) };
    const inputs = checked(properties, context);
    try {
      const { id, outs } = await createFleet(inputs, {});
      return { id, properties: fleetState(outs) };
    } catch (error) {
      throw partial(error, "");
    }
  },

  async read({ id, state, inputs }, context) {
    const connection: EnrollmentConnection = context.connectionOr();
    if (Object.keys(state).length === 0) {
      // `pulumi import ... ids:a,b` or `prefix:p`: the records as a program would declare them, no write.
      const result = await readFleet(id, undefined, undefined, connection);
      return {
        id: result.id,
        properties: fleetState(result.outs),
        inputs: result.inputs && declared(result.inputs),
      };
    }
    const oldInputs = Object.keys(inputs).length > 0 ? (inputs as unknown as FleetInputs) : undefined;
    const result = await readFleet(id, state as Partial<FleetOutputs>, oldInputs, connection);
    if (!result.id) return { id: "" };
    // Drift comes back as inputs (item overrides), so the next preview names `enrollments["id"].prop`.
    return {
      id: result.id,
      properties: fleetState(result.outs),
      inputs: result.inputs && declared(result.inputs),
    };
  },

  async update({ id, olds, news, preview }, context) {
    if (preview) return previewState(news, olds);
    const inputs = checked(news, context);
    try {
      // The same connection on both sides: the configuration, not the state, names the DPS here.
      return fleetState(await updateFleet({ ...olds, connection: inputs.connection }, inputs, { id }));
    } catch (error) {
      throw partial(error, id);
    }
  },

  async delete({ properties }, context) {
    await deleteFleet({ ...(properties as Partial<FleetOutputs>), connection: context.connectionOr() });
  },
};
