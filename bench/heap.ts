/**
 * Heap a declared resource holds while its registration waits for the engine, as every enrollment of a
 * fleet does (the engine answers a few at a time): N resources under `pulumi.runtime.setMocks` whose
 * registrations are never answered, heap used after a full GC, divided by N.
 *
 * ```
 * node --expose-gc dist/bench/heap.js enrollment|eager|noop [N]
 * ```
 *
 * - `enrollment`: `IndividualEnrollment`s as the bench's fleet program declares them.
 * - `eager`: a plain `CustomResource` with the same type and inputs, so every output is made at once
 *   (what an enrollment cost before provider/dynamic/lazyOutputs.ts).
 * - `noop`: the no-op dynamic resource of the engine floor (`test/support/noop.ts`).
 *
 * @packageDocumentation
 */
import * as pulumi from "@pulumi/pulumi";
import { IndividualEnrollment } from "../provider";
import { dynamicInputs, engineOptions } from "../provider/dynamic/resource";
import { INDIVIDUAL_ENROLLMENT_TYPE, PROVIDER_MODULE_TEXT } from "../provider/individual/resource";
import { Noop } from "../test/support/noop";

const KINDS = ["enrollment", "eager", "noop"] as const;

/** A custom resource the SDK registers as it does any other (every output made at once). */
class Eager extends pulumi.CustomResource {}
type Kind = (typeof KINDS)[number];

/** Declares resource `i` of `kind`. */
function declare(kind: Kind, i: number): pulumi.Resource {
  const args = {
    registrationId: `heap-${i}`,
    attestation: { type: "symmetricKey" },
    tags: { env: "v1", fleet: "bench" },
  };
  if (kind === "enrollment") return new IndividualEnrollment(`e${i}`, args);
  if (kind === "noop") return new Noop(`n${i}`, { value: "v1" });
  const props = dynamicInputs(
    args,
    ["deviceId", "optionalDeviceInformation", "registrationState"],
    PROVIDER_MODULE_TEXT,
  );
  return new Eager(
    INDIVIDUAL_ENROLLMENT_TYPE,
    `c${i}`,
    props,
    engineOptions(props, undefined, args.attestation),
  );
}

async function main(): Promise<void> {
  const kind = process.argv[2] as Kind;
  const n = Number(process.argv[3] ?? 2000);
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!KINDS.includes(kind) || !Number.isInteger(n) || n <= 0 || !gc) {
    throw new Error(`usage: node --expose-gc dist/bench/heap.js ${KINDS.join("|")} [N]`);
  }
  await pulumi.runtime.setMocks(
    { newResource: () => new Promise<never>(() => undefined), call: () => ({}) },
    "bench-heap",
    "bench",
    false,
  );
  const kept: pulumi.Resource[] = [];
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < n; i++) kept.push(declare(kind, i));
  // Let every registration reach the (never answering) engine.
  await new Promise((resolve) => setTimeout(resolve, 500));
  gc();
  const perResource = (process.memoryUsage().heapUsed - before) / n / 1024;
  console.log(
    `${kind}: ${n} waiting registrations, ${perResource.toFixed(1)} KB of heap each (${kept.length} kept)`,
  );
  // The SDK reports the registrations left waiting as leaked promises at exit: expected here.
  process.exit(0);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
