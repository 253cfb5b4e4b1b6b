/**
 * Truthful outputs in a preview of the dynamic face. A dynamic provider has no preview of its own:
 * for a step that will write (a create or an update), the engine hands the program the resource's
 * inputs as its outputs. What the Set keeps from the record (symmetric keys, a TPM's storage root
 * key, certificates) or the service makes (generated keys) is then missing, and a program that reads
 * it, `group.attestation.apply(a => deriveDeviceKey(a.primaryKey!, id))`, would get `undefined` and
 * fail. So in a preview the attestation output is unknown for a step that writes (its `etag` output,
 * which only a write changes, is unknown then), and for a record whose kept keys the state lacks;
 * otherwise it is the state's, as before. Runs in the program.
 */
import * as pulumi from "@pulumi/pulumi";
import type { AttestationState } from "../core/types";

/**
 * The attestation a preview can state for a step that writes nothing: the state's, or unknown when
 * it is a symmetric-key attestation without its keys (state written before keys were kept). Pure.
 */
export function previewAttestation(attestation: AttestationState | undefined): AttestationState | undefined {
  if (attestation?.type === "symmetricKey" && (!attestation.primaryKey || !attestation.secondaryKey)) {
    return pulumi.unknown as unknown as AttestationState;
  }
  return attestation;
}

/** The outputs of an enrollment resource this module reads. */
interface WithAttestation {
  readonly attestation: pulumi.Output<AttestationState>;
  readonly etag: pulumi.Output<string>;
}

/**
 * In a preview, makes `resource.attestation` unknown where the preview cannot know it (see the
 * module); outside a preview, does nothing. Call it right after `super(...)`. The output is still
 * made on first read (lazyOutputs.ts).
 */
export function truthfulPreviewOutputs(resource: WithAttestation): void {
  if (!pulumi.runtime.isDryRun()) return;
  const own = Object.getOwnPropertyDescriptor(resource, "attestation");
  if (!own?.configurable) return;
  Object.defineProperty(resource, "attestation", {
    configurable: true,
    enumerable: true,
    get(): pulumi.Output<AttestationState> {
      // The SDK's output (a lazy getter makes it, and puts it in place of itself).
      const handed = (own.get ? own.get.call(resource) : own.value) as pulumi.Output<AttestationState>;
      // Runs only once the etag is known: in a preview, only for a step that writes nothing.
      const truthful = pulumi
        .all([handed, resource.etag])
        .apply(([attestation]) => previewAttestation(attestation)) as pulumi.Output<AttestationState>;
      Object.defineProperty(resource, "attestation", {
        configurable: true,
        enumerable: true,
        value: truthful,
      });
      return truthful;
    },
  });
}
