/**
 * The private parts of `@pulumi/pulumi` this package uses, in one place, each guarded: used only
 * when the installed SDK has it in the shape it was written against, so that an SDK that moved or
 * reshaped one leaves the package working as the SDK alone would (bigger state, more memory), never
 * broken. `test/package/sdk-range.e2e.test.ts` runs this module against both ends of the supported
 * peer range (`@pulumi/pulumi` 3.260 and the newest on npm).
 *
 * - `runtime/rpc`'s `transferProperties(onto, label, props)`: makes a resource's outputs (lazyOutputs.ts
 *   swaps it to make each on first read);
 * - `Resource.stackTrace(skip)`: the call stack a registration sends the engine (callSite.ts keeps
 *   the first frame);
 * - `__provider`: the input in which a dynamic resource hands the dynamic-provider plugin its
 *   provider's module text (dynamic/resource.ts sets its own).
 */
import * as pulumi from "@pulumi/pulumi";
import * as sdkRpc from "@pulumi/pulumi/runtime/rpc";

/** The input key of a dynamic resource's provider text, which the dynamic-provider plugin reads. */
export { DYNAMIC_PROVIDER_KEY } from "./dynamic/keys";

/** What the SDK's `transferProperties` returns: one resolver per property. */
export type Resolvers = Record<string, (...args: unknown[]) => void>;

/** The SDK's `transferProperties(onto, label, props)`. */
export type TransferFn = (onto: pulumi.Resource, label: string, props: pulumi.Inputs) => Resolvers;

/** The SDK's private static `Resource.stackTrace(skip)`, as `resource.js` of 3.195–3.276 defines it. */
export type StackTraceFn = (this: unknown, skip: number) => unknown[];

/** The SDK's `runtime/rpc` module, whose export its resource code reads at each call. */
const rpcModule = sdkRpc as unknown as { transferProperties?: TransferFn };

/** `pulumi.Resource` seen with its private static. */
const sdkResource = pulumi.Resource as unknown as { stackTrace?: StackTraceFn };

/** Whether `name` of `owner` is a plain writable property or has a setter (so a swap is seen). */
function writable(owner: object, name: string): boolean {
  const d = Object.getOwnPropertyDescriptor(owner, name);
  return d !== undefined && (d.writable === true || d.set !== undefined);
}

/** Which of the internals the installed SDK has in the expected shape. */
export function sdkInternals(): { transferProperties: boolean; stackTrace: boolean } {
  const transfer = rpcModule.transferProperties;
  const trace = sdkResource.stackTrace;
  return {
    transferProperties:
      typeof transfer === "function" && transfer.length === 3 && writable(rpcModule, "transferProperties"),
    stackTrace: typeof trace === "function" && trace.length === 1,
  };
}

/**
 * Replaces the SDK's `transferProperties` with `make(original)` until the returned function is
 * called; when the SDK's does not have the expected shape, changes nothing (and returns a no-op).
 */
export function swapTransferProperties(make: (original: TransferFn) => TransferFn): () => void {
  const original = rpcModule.transferProperties;
  if (!original || !sdkInternals().transferProperties) return () => undefined;
  rpcModule.transferProperties = make(original);
  return () => {
    rpcModule.transferProperties = original;
  };
}

/**
 * Replaces the SDK's `Resource.stackTrace` with `make(original)` until the returned function is
 * called; when the SDK's does not have the expected shape, changes nothing (and returns a no-op).
 */
export function swapStackTrace(make: (original: StackTraceFn) => StackTraceFn): () => void {
  const original = sdkResource.stackTrace;
  if (!original || !sdkInternals().stackTrace) return () => undefined;
  sdkResource.stackTrace = make(original);
  return () => {
    sdkResource.stackTrace = original;
  };
}
