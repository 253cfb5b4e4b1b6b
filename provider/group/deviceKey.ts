/**
 * Device keys of a symmetric-key enrollment group: what `az iot dps enrollment-group compute-device-key`
 * computes and what DPS checks when a device registers with the group.
 */
import * as pulumi from "@pulumi/pulumi";
import { deriveDeviceKey } from "./deviceKeyRule";

export { deriveDeviceKey };

/**
 * {@link deriveDeviceKey} over outputs, always secret: the form to use with a group's
 * `attestation.primaryKey`, so the derived key never lands in state or logs in clear. In a preview the
 * result is unknown while the group key is (a group being created, or changed: the dynamic provider's
 * preview does not carry the keys the Set keeps).
 * @param groupKey The group key, e.g. `group.attestation.apply(a => a.primaryKey!)`.
 * @param registrationId The device's registration id.
 */
export function deriveDeviceKeyOutput(
  groupKey: pulumi.Input<string>,
  registrationId: pulumi.Input<string>,
): pulumi.Output<string> {
  return pulumi.secret(
    pulumi.all([groupKey, registrationId]).apply(([key, id]) => {
      if (pulumi.isUnknown(key)) return key;
      // A preview of an update through the dynamic provider answers with the program's inputs, so a
      // key the Set keeps is absent there: the derived key is then unknown, not an error.
      if ((key as string | undefined) === undefined && pulumi.runtime.isDryRun()) {
        return pulumi.unknown as unknown as string;
      }
      return deriveDeviceKey(key, id);
    }),
  );
}
