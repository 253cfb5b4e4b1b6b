/**
 * The help page of Set-AzIoTDeviceProvisioningServiceEnrollment, as a program. The stack config
 * `example` picks the state of the program, and each `pulumi up` from one to the next is the cmdlet
 * call it names:
 *
 * - `example: 0` (default): the enrollment as `Add-AzIoTDeviceProvisioningServiceEnrollment` made it.
 * - `example: 1`: Example 1, `-AllocationPolicy Hashed -IotHub "hub1","hub2"`.
 * - `example: 2`: Example 2, `-Tag @{environment="updatedenv"} -Desired @{version_dps="updateddps"}`
 *   (Example 1's settings stay in the program, so they stay managed).
 *
 * The hub names come from `hubs` (comma-separated host names linked to the DPS; the emulator links
 * hub1.azure-devices.net and hub2.azure-devices.net).
 */
import * as pulumi from "@pulumi/pulumi";
import {
  IndividualEnrollment,
  type IndividualEnrollmentArgs,
  type DpsConnectionArgs,
} from "pulumi-dps-enrollments";

/** The DPS to use: `dps:connectionString` first, else the local emulator from DPS_EMULATOR_* variables. */
export function connectionFromConfig(): DpsConnectionArgs {
  const connectionString = new pulumi.Config("dps").getSecret("connectionString");
  if (connectionString) return { connectionString };
  const emulator = process.env.DPS_EMULATOR_CONNECTION_STRING;
  if (!emulator)
    throw new Error("Set dps:connectionString, or export DPS_EMULATOR_CONNECTION_STRING/ENDPOINT/CA.");
  return {
    connectionString: emulator,
    endpoint: process.env.DPS_EMULATOR_ENDPOINT,
    caCertificate: process.env.DPS_EMULATOR_CA,
  };
}

/** Declares `enroll1` as the chosen example leaves it. */
export function setSemantics(): IndividualEnrollment {
  const config = new pulumi.Config();
  const example = config.getNumber("example") ?? 0;
  const [hub1, hub2] = (config.get("hubs") ?? "hub1.azure-devices.net,hub2.azure-devices.net").split(",");
  const args: IndividualEnrollmentArgs = {
    connection: connectionFromConfig(),
    registrationId: config.get("registrationId") ?? "enroll1",
    attestation: { type: "symmetricKey" },
  };
  if (example >= 1) {
    // Example 1: Set-AzIoTDeviceProvisioningServiceEnrollment ... -AllocationPolicy Hashed -IotHub "hub1","hub2"
    args.allocationPolicy = "Hashed";
    args.iotHubs = [hub1, hub2];
  }
  if (example >= 2) {
    // Example 2: $tag.Add("environment","updatedenv"); $desired.add("version_dps", "updateddps")
    // Set-AzIoTDeviceProvisioningServiceEnrollment ... -tag $tag -Desired $desired
    args.tags = { environment: "updatedenv" };
    args.desired = { version_dps: "updateddps" };
  }
  return new IndividualEnrollment("enroll1", args);
}
