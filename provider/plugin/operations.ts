/**
 * What a resource's plugin handlers are: the engine's Check, Diff, Create, Read, Update and Delete on
 * plain values (secrets as the engine's secret objects, never gRPC structs). server.ts keeps the gRPC
 * plumbing (structs, secret masking, timeouts, cancel, partial failure) and dispatches by type token
 * to the handlers a descriptor names (`plugin.operations`, provider/descriptor.ts).
 */
import type { CheckFailure } from "../core/checks";
import type { EnrollmentConnection } from "../core/types";
import type { PropertyChange } from "./diff";
import type { FunctionSpec } from "./properties";

/** What the provider instance knows, for every handler. */
export interface PluginContext {
  /** The configured connection (provider configuration), absent before `Configure` gives one. */
  readonly connection: EnrollmentConnection | undefined;
  /**
   * The configured connection; without one, pushes the failure naming the missing configuration to
   * `failures` and answers `{}`, or throws it when no `failures` is given.
   */
  connectionOr(failures?: CheckFailure[]): EnrollmentConnection;
  /** Where the configured connection comes from, for messages (`provider config dps-enrollments:*`). */
  readonly where: string;
}

/** A Check request: `news` as the engine sent them (secrets wrapped), `olds` the last inputs. */
export interface CheckArgs {
  /** The engine's URN of the resource. */
  urn: string;
  /** The program's inputs, secrets still wrapped ({@link ../plugin/values}). */
  news: Record<string, unknown>;
  /** The inputs of the last deployment, revealed; `{}` for a new resource. */
  olds: Record<string, unknown>;
}

/** The answer to Check: canonical inputs (secrets wrapped) and failures. */
export interface CheckResult {
  /** The inputs the engine stores and hands to Diff/Create/Update. */
  inputs: Record<string, unknown>;
  /** Each rejected property with its fix; empty when valid. */
  failures: CheckFailure[];
}

/** A Diff request, revealed. */
export interface DiffArgs {
  /** The resource's id. */
  id: string;
  /** The state (outputs) of the last deployment. */
  olds: Record<string, unknown>;
  /** The inputs of the last deployment (`DiffRequest.old_inputs`), `{}` when the engine sent none. */
  oldInputs: Record<string, unknown>;
  /** The checked inputs. */
  news: Record<string, unknown>;
}

/** The answer to Diff. */
export interface DiffResult {
  /** Whether an update or replace is needed. */
  changes: boolean;
  /** Top-level properties whose change replaces the resource. */
  replaces: string[];
  /** Whether the old resource goes before the new one is made. */
  deleteBeforeReplace: boolean;
  /** Each changed property path (`tags`, `enrollments["a"].initialTwin`) and how it changes. */
  detailed: Record<string, PropertyChange>;
  /**
   * The paths are of the inputs, not the state: the engine shows old inputs against new ones (a
   * resource whose outputs do not repeat its inputs); otherwise the state against the new inputs.
   */
  inputDiff: boolean;
}

/** A Create request, revealed. */
export interface CreateArgs {
  /** The engine's URN of the resource. */
  urn: string;
  /** The checked inputs. */
  properties: Record<string, unknown>;
  /** A preview: answer what the create will leave without any call. */
  preview: boolean;
}

/** The answer to Create (and to a preview of it: no id). */
export interface CreateResult {
  /** The new resource's id; empty in a preview. */
  id: string;
  /** Its state (secrets wrapped). */
  properties: Record<string, unknown>;
}

/** A Read request (refresh, or `pulumi import` when `state` is empty), revealed. */
export interface ReadArgs {
  /** The engine's URN of the resource. */
  urn: string;
  /** The resource's id (or the import id). */
  id: string;
  /** The state of the last deployment; `{}` for an import. */
  state: Record<string, unknown>;
  /** The inputs of the last deployment; `{}` for an import. */
  inputs: Record<string, unknown>;
}

/** The answer to Read. */
export interface ReadResult {
  /** The id read; empty when the resource is gone (the engine forgets it). */
  id: string;
  /** The state read (secrets wrapped). */
  properties?: Record<string, unknown>;
  /** The inputs a program declaring what was read would give; absent: keep the request's. */
  inputs?: Record<string, unknown>;
}

/** An Update request, revealed. */
export interface UpdateArgs {
  /** The engine's URN of the resource. */
  urn: string;
  /** The resource's id. */
  id: string;
  /** The state of the last deployment. */
  olds: Record<string, unknown>;
  /** The inputs of the last deployment, `{}` when the engine sent none. */
  oldInputs: Record<string, unknown>;
  /** The checked inputs. */
  news: Record<string, unknown>;
  /** A preview: answer what the update will leave without any call. */
  preview: boolean;
}

/** A Delete request, revealed. */
export interface DeleteArgs {
  /** The engine's URN of the resource. */
  urn: string;
  /** The resource's id. */
  id: string;
  /** Its state. */
  properties: Record<string, unknown>;
}

/** A resource's plugin handlers; each may throw (the message goes to the engine, secrets masked). */
export interface PluginOperations {
  /** Check: canonical inputs and failures. */
  check(args: CheckArgs, context: PluginContext): CheckResult | Promise<CheckResult>;
  /** Diff: what an update would change. */
  diff(args: DiffArgs, context: PluginContext): DiffResult | Promise<DiffResult>;
  /** Create; may throw {@link PartialFailure} when part of it landed. */
  create(args: CreateArgs, context: PluginContext): Promise<CreateResult>;
  /** Read (refresh or import). */
  read(args: ReadArgs, context: PluginContext): Promise<ReadResult>;
  /** Update; may throw {@link PartialFailure} when part of it landed. Answers the new state. */
  update(args: UpdateArgs, context: PluginContext): Promise<Record<string, unknown>>;
  /** Delete. */
  delete(args: DeleteArgs, context: PluginContext): Promise<void>;
}

/** A function the plugin serves (`Invoke`): its schema and its call on plain values. */
export interface PluginFunction {
  /** Its schema entry. */
  schema: FunctionSpec;
  /** The call: its result (secrets wrapped), or the failures of its arguments. */
  invoke(args: Record<string, unknown>): { value?: Record<string, unknown>; failures: CheckFailure[] };
}

/**
 * A Create or Update that landed in part: the engine records `properties` as the resource's state
 * (its `ErrorResourceInitFailed`) and fails the step with the message and `reasons`.
 */
export class PartialFailure extends Error {
  /**
   * @param message - what failed, for the engine's error
   * @param landed - the resource's id and the state of what landed (secrets wrapped)
   * @param reasons - one line per failure
   */
  constructor(
    message: string,
    readonly landed: { id: string; properties: Record<string, unknown>; inputs?: Record<string, unknown> },
    readonly reasons: string[],
  ) {
    super(message);
    this.name = "PartialFailure";
  }
}
