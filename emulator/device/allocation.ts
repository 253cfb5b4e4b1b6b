// Pure allocation rules: which hub a registering device lands on, and what a re-registration keeps.
import { createHash } from "node:crypto";
import { isObject, type JsonObject } from "../types";

/** Substatus of an assigned registration (the service's `DeviceRegistrationResult.substatus`). */
export type Substatus = "initialAssignment" | "deviceDataMigrated" | "deviceDataReset";

/** The hubs an enrollment (or group) allocates over: its `iotHubs`, else its legacy hub, else the linked hubs. */
export function candidateHubs(record: JsonObject, linkedHubs: readonly string[]): string[] {
  const hubs = Array.isArray(record.iotHubs) ? record.iotHubs.filter((h) => typeof h === "string") : [];
  if (hubs.length > 0) return hubs;
  if (typeof record.iotHubHostName === "string") return [record.iotHubHostName];
  return [...linkedHubs];
}

/**
 * The hub for a device under `static`, `hashed` or `geoLatency` (an absent policy is the DPS default,
 * hashed). Hashing uses SHA-256 of the lowercased registration id, so a device gets the same hub at
 * every registration while the hub list is unchanged. geoLatency has no geography here and hashes.
 */
export function pickHub(record: JsonObject, linkedHubs: readonly string[], registrationId: string): string {
  const hubs = candidateHubs(record, linkedHubs);
  if (hubs.length === 0) throw new Error("no IoT hub is linked to the Device Provisioning Service");
  if (record.allocationPolicy === "static") return hubs[0];
  const digest = createHash("sha256").update(registrationId.toLowerCase()).digest();
  return hubs[digest.readUInt32BE(0) % hubs.length];
}

/** Where a re-registering device ends up, given its previous state and the reprovision policy. */
export interface Placement {
  /** The hub the device is assigned to. */
  hub: string;
  /** The substatus reported. */
  substatus: Substatus;
}

/**
 * Applies the record's `reprovisionPolicy` to a registration: a first registration (or one after a
 * failure) takes `chosen`; a device already on `chosen` stays; otherwise `updateHubAssignment: false`
 * keeps the previous hub, and a move reports `deviceDataMigrated` or `deviceDataReset` by `migrateDeviceData`.
 */
export function place(record: JsonObject, previous: JsonObject | undefined, chosen: string): Placement {
  const previousHub = previous?.status === "assigned" ? previous.assignedHub : undefined;
  if (typeof previousHub !== "string") return { hub: chosen, substatus: "initialAssignment" };
  const keep = (previous?.substatus as Substatus | undefined) ?? "initialAssignment";
  if (previousHub.toLowerCase() === chosen.toLowerCase()) return { hub: previousHub, substatus: keep };
  const policy = isObject(record.reprovisionPolicy) ? record.reprovisionPolicy : {};
  if (policy.updateHubAssignment === false) return { hub: previousHub, substatus: keep };
  return {
    hub: chosen,
    substatus: policy.migrateDeviceData === false ? "deviceDataReset" : "deviceDataMigrated",
  };
}
