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
 * happens, and applies only when the SDK's function has the shape it was written against
 * (sdkInternals.ts); otherwise the SDK records its full trace as before.
 */
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { swapStackTrace } from "../sdkInternals";

/** This package's provider code, compiled and (when stack traces are source-mapped) its sources. */
const OWN_CODE = [path.resolve(__dirname, ".."), path.resolve(__dirname, "..", "..", "..", "provider")].map(
  (dir) => `${pathToFileURL(dir).href}/`,
);

/** A frame of this package's own code (the SDK gives `{ uri, line, column }`, or nothing). */
function isOwnFrame(frame: unknown): boolean {
  const uri = (frame as { uri?: unknown } | undefined)?.uri;
  return typeof uri === "string" && OWN_CODE.some((dir) => uri.startsWith(dir));
}

/**
 * Until the returned function is called, resources registered record only their first frame. Call it
 * in a `finally` right after `super(...)`.
 */
export function recordCallSiteOnly(): () => void {
  return swapStackTrace(
    (original) =>
      function (this: unknown, skip: number): unknown[] {
        // One frame more to skip: this wrapper. The first frame is then the program's line; a
        // source-mapped stack may still start in this package's constructor, which is skipped too.
        const frames = original.call(this, skip + 1);
        const first = Math.max(
          0,
          frames.findIndex((frame) => !isOwnFrame(frame)),
        );
        return frames.slice(first, first + 1);
      },
  );
}
