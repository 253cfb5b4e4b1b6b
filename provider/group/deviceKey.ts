/**
 * Device keys of a symmetric-key enrollment group: what `az iot dps enrollment-group compute-device-key`
 * computes and what DPS checks when a device registers with the group.
 */
import { createHmac } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * The device key of `registrationId` in a group: HMAC-SHA256 of the registration id (UTF-8) keyed
 * with the base64-decoded group key, base64. The result is as secret as the group key: keep it in a
 * `pulumi.secret` (or use {@link deriveDeviceKeyOutput}).
 * @param groupKey The group's primary or secondary key, base64.
 * @param registrationId The device's registration id.
 */
export function deriveDeviceKey(groupKey: string, registrationId: string): string {
  if (!BASE64.test(groupKey) || groupKey.length === 0) {
    throw new Error("deriveDeviceKey: groupKey must be the group's base64 symmetric key.");
  }
  if (registrationId.length === 0) throw new Error("deriveDeviceKey: registrationId must not be empty.");
  return createHmac("sha256", Buffer.from(groupKey, "base64"))
    .update(registrationId, "utf8")
    .digest("base64");
}

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
