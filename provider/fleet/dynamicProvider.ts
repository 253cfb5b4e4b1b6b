/**
 * The dynamic face of `EnrollmentFleet`: its `pulumi.dynamic.ResourceProvider`, served by Pulumi's
 * dynamic-provider plugin. The connection is the resource's own or the stack config's (kept as
 * `{ hostName }`), the `import` option comes as the internal input `__import`, and a partial failure
 * is thrown as `{ id, properties, reasons }`, which the plugin host packs into the engine's
 * partial-failure outputs (ErrorResourceInitFailed).
 */
import type { dynamic } from "@pulumi/pulumi";
import { reportedOnce } from "../core/errors";
import type { FaceOptions } from "../core/lifecycle";
import { countedWrite } from "../core/writeSteps";
import { DYNAMIC_PROVIDER_KEY, IMPORT_KEY } from "../dynamic/keys";
import {
  CONFIG_NAMESPACE,
  configureStackConnection,
  isStackReference,
  resolveConnection,
  stackConnection,
  stackReference,
} from "../dynamic/stackConnection";
import { checkFleet } from "./check";
import { diffFleet } from "./diff";
import { createFleet, deleteFleet, FleetPartialFailure, readFleet, updateFleet } from "./lifecycle";
import type { FleetInputs, FleetOutputs } from "./types";

const FACE: FaceOptions = { resolveConnection };

/** `inputs` with an absent connection named by its stack-config reference `{ hostName }`. */
function withConnection(raw: Record<string, unknown>): FleetInputs {
  const inputs = raw as unknown as FleetInputs;
  return inputs.connection === undefined ? { ...inputs, connection: stackReference() } : inputs;
}

/**
 * The error the plugin host turns into partial-failure outputs. The provider text is kept in them
 * (the host adds it only to a success); the engine applies the resource's additionalSecretOutputs
 * to them as to any outputs (the engine suite checks no key is in clear).
 */
function partialFailure(error: FleetPartialFailure, raw: Record<string, unknown>): Error {
  const properties = { ...error.outs, [DYNAMIC_PROVIDER_KEY]: raw[DYNAMIC_PROVIDER_KEY] };
  return Object.assign(new Error(error.message), { id: error.id, properties, reasons: [error.message] });
}

/** The `pulumi.dynamic.ResourceProvider` of `EnrollmentFleet`. */
export function createFleetProvider(): dynamic.ResourceProvider {
  const provider = {
    async configure(req: dynamic.ConfigureRequest): Promise<void> {
      configureStackConnection((key) => req.config.get(key));
    },

    async check(_olds: Record<string, unknown>, news: Record<string, unknown>): Promise<dynamic.CheckResult> {
      const { inputs, failures } = checkFleet(news, stackConnection(), `stack config ${CONFIG_NAMESPACE}:*`);
      if (news.connection === undefined) delete inputs.connection;
      return { inputs, failures };
    },

    async diff(_id: string, olds: FleetOutputs, news: Record<string, unknown>): Promise<dynamic.DiffResult> {
      if (isStackReference(olds.connection)) resolveConnection(olds.connection);
      const diff = diffFleet(olds, withConnection(news));
      return { changes: diff.changes, replaces: diff.connectionChanged ? ["connection"] : [] };
    },

    async create(raw: Record<string, unknown>): Promise<dynamic.CreateResult> {
      const inputs = withConnection(raw);
      const importId = raw[IMPORT_KEY];
      try {
        return await countedWrite(() =>
          createFleet(inputs, {
            importId: typeof importId === "string" ? importId : undefined,
            face: FACE,
          }),
        );
      } catch (error) {
        throw error instanceof FleetPartialFailure ? partialFailure(error, raw) : error;
      }
    },

    async read(id: string, stored: Record<string, unknown>): Promise<dynamic.ReadResult> {
      const state = stored as Partial<FleetOutputs>;
      const result = await readFleet(id, state, undefined, state.connection ?? stackReference(), {
        face: FACE,
      });
      return { id: result.id, props: result.outs };
    },

    async update(
      id: string,
      olds: FleetOutputs,
      raw: Record<string, unknown>,
    ): Promise<dynamic.UpdateResult> {
      try {
        return { outs: await countedWrite(() => updateFleet(olds, withConnection(raw), { id, face: FACE })) };
      } catch (error) {
        throw error instanceof FleetPartialFailure ? partialFailure(error, raw) : error;
      }
    },

    async delete(_id: string, props: FleetOutputs): Promise<void> {
      await countedWrite(() => deleteFleet(props, { face: FACE }));
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
