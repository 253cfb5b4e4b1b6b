/**
 * Reading `pulumi.Output`s in tests that run programs under `pulumi.runtime.setMocks`.
 *
 * @packageDocumentation
 */
import type * as pulumi from "@pulumi/pulumi";

/** The value of an Output (rejects when it fails). `promise()` is public at run time, not in the typings. */
export function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
  return (output as unknown as { promise(): Promise<T> }).promise();
}
