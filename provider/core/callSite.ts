/**
 * The call site an enrollment resource records in state: the program's line that declared it, without
 * the frames above it.
 *
 * `@pulumi/pulumi` (since 3.195) sends the engine the program's whole call stack with every
 * registration, and the engine stores it in the resource's state (`stackTrace`, next to
 * `sourcePosition`): 250–700 bytes per resource, rewritten by every checkpoint, which for a fleet of
 * thousands is a large part of the state. The SDK has no setting for it, so while an enrollment
 * registers, the SDK's (private) `Resource.stackTrace` is wrapped to return only its first frame: the
 * user's line, which the SDK also stores as `sourcePosition`. The wrap is taken off again whatever
 * happens, and applies only when the SDK's function has the shape it was written against (one
 * argument, the frames to skip); otherwise the SDK records its full trace as before.
 */
import * as pulumi from "@pulumi/pulumi";

/** The SDK's private static, as `resource.js` of `@pulumi/pulumi` 3.195–3.276 defines it. */
type StackTraceFn = (this: unknown, skip: number) => unknown[];

/** `pulumi.Resource` seen with its private static. */
const sdkResource = pulumi.Resource as unknown as { stackTrace?: StackTraceFn };

/**
 * Until the returned function is called, resources registered record only their first frame. Call it
 * in a `finally` right after `super(...)`.
 */
export function recordCallSiteOnly(): () => void {
  const original = sdkResource.stackTrace;
  if (typeof original !== "function" || original.length !== 1) return () => undefined;
  sdkResource.stackTrace = function (this: unknown, skip: number): unknown[] {
    // One frame more to skip: this wrapper.
    return original.call(this, skip + 1).slice(0, 1);
  };
  return () => {
    sdkResource.stackTrace = original;
  };
}
