/**
 * `deriveDeviceKey` as the plugin serves it (`dps-enrollments:index:deriveDeviceKey`): its schema and
 * its invoke on plain values, over the pure rule of deviceKeyRule.ts.
 */
import type { CheckFailure } from "../core/checks";
import type { PluginFunction } from "../plugin/operations";
import { secret } from "../plugin/values";
import { deriveDeviceKey } from "./deviceKeyRule";

/** The function's type token. */
export const DERIVE_DEVICE_KEY_FUNCTION = "dps-enrollments:index:deriveDeviceKey";

/** `deriveDeviceKey`: the device key of a registration id in a symmetric-key group. */
export const DERIVE_DEVICE_KEY: PluginFunction = {
  schema: {
    description:
      "The device key of a registration id in a symmetric-key enrollment group (HMAC-SHA256 with the group key).",
    inputs: {
      type: "object",
      description: "The group key and the device's registration id.",
      properties: {
        groupKey: {
          type: "string",
          secret: true,
          description: "The group's primary or secondary key, base64.",
        },
        registrationId: { type: "string", description: "The device's registration id." },
      },
      required: ["groupKey", "registrationId"],
    },
    outputs: {
      type: "object",
      description: "The derived key.",
      properties: {
        deviceKey: { type: "string", secret: true, description: "The device's key, base64." },
      },
      required: ["deviceKey"],
    },
  },

  invoke(args) {
    const failures: CheckFailure[] = [];
    for (const key of ["groupKey", "registrationId"]) {
      if (typeof args[key] !== "string") failures.push({ property: key, reason: `${key} must be a string.` });
    }
    if (args.registrationId === "") {
      failures.push({
        property: "registrationId",
        reason: "registrationId must not be empty: give the device's id.",
      });
    }
    if (failures.length > 0) return { failures };
    try {
      const deviceKey = deriveDeviceKey(String(args.groupKey), String(args.registrationId));
      return { value: { deviceKey: secret(deviceKey) }, failures };
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      const property = reason.includes("registrationId") ? "registrationId" : "groupKey";
      return { failures: [{ property, reason }] };
    }
  },
};
