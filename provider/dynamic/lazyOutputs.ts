/**
 * The outputs of an enrollment resource are made when the program first reads them, not all at once
 * when it is declared.
 *
 * `@pulumi/pulumi` gives a custom resource one `Output` for every property it registers (an
 * enrollment has about 25, most of them service-set outputs a program never reads), each with four
 * promises that its debugging aid (`debuggablePromise`) tags with a formatted stack trace and a
 * context string until the engine answers. A fleet declares thousands of enrollments at once and the
 * engine answers them a few at a time, so all of that waits together: about 270 KB of heap per
 * enrollment, 2.7 GB for 10,000 (docs/fleet-scale.md, "Memory"). The SDK has no setting for it.
 *
 * So while an enrollment registers, the SDK's `transferProperties` (which makes those outputs and
 * returns the functions that resolve them when the engine answers) is replaced by one that only
 * keeps what the engine answers, per property, and makes the property a getter: the first read
 * makes that one output with the SDK's own `transferProperties` and hands it what was kept. An output
 * read before the answer is resolved by it, as before. The resource's properties keep their names,
 * types and values; only when each `Output` object comes into being changes.
 *
 * The SDK's resource code calls `transferProperties` through its `runtime/rpc` module object, so the
 * swap is seen there; it is undone whatever happens, and made only when the function has the shape it
 * was written against (sdkInternals.ts). Otherwise the SDK makes every output as before.
 */
import type * as pulumi from "@pulumi/pulumi";
import { swapTransferProperties, type Resolvers, type TransferFn } from "../sdkInternals";

/**
 * Until the returned function is called, resources registered get their outputs on first read. Call
 * it in a `finally` right after `super(...)` (the SDK makes the outputs before `super` returns).
 */
export function makeOutputsOnFirstRead(): () => void {
  return swapTransferProperties(
    (original) => (onto, label, props) => transferLazily(original, onto, label, props),
  );
}

/**
 * `transferProperties` with each output made on first read: the resolvers keep the engine's answer
 * (or hand it on once the output exists), and each property is a getter until read.
 */
export function transferLazily(
  original: TransferFn,
  onto: pulumi.Resource,
  label: string,
  props: pulumi.Inputs,
): Resolvers {
  const resolvers: Resolvers = {};
  for (const key of Object.keys(props)) {
    // The SDK handles these two itself.
    if (key === "id" || key === "urn") continue;
    let answer: unknown[] | undefined;
    let resolve: ((...args: unknown[]) => void) | undefined;
    resolvers[key] = (...args) => {
      if (resolve) resolve(...args);
      else answer = args;
    };
    Object.defineProperty(onto, key, {
      configurable: true,
      enumerable: true,
      get(): unknown {
        // The SDK's own output in place of this getter, resolved with what the engine answered.
        delete (onto as unknown as Record<string, unknown>)[key];
        resolve = original(onto, label, { [key]: props[key] })[key];
        if (answer) resolve(...answer);
        answer = undefined;
        return (onto as unknown as Record<string, unknown>)[key];
      },
    });
  }
  return resolvers;
}
