/**
 * The device key of a symmetric-key enrollment group: what `az iot dps enrollment-group compute-device-key`
 * computes and what DPS checks when a device registers with the group. A pure rule with no Pulumi
 * SDK in its imports, so the plugin can serve it without loading the SDK.
 */
import { createHmac } from "node:crypto";

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
