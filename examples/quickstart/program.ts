/**
 * Quick start: one enrollment of each attestation kind on one DPS. With `dps:connectionString`
 * (secret) in the stack config it targets that DPS; without it, the local emulator named by the
 * DPS_EMULATOR_* environment variables (`npx dps-emulator` prints them as JSON).
 */
import * as pulumi from "@pulumi/pulumi";
import { IndividualEnrollment, type DpsConnectionArgs } from "pulumi-dps-enrollments";

/** The DPS to use: stack config first, else the local emulator. */
export function connectionFromConfig(): DpsConnectionArgs {
  const cfg = new pulumi.Config("dps");
  const connectionString = cfg.getSecret("connectionString");
  if (connectionString) return { connectionString };
  const emulator = process.env.DPS_EMULATOR_CONNECTION_STRING;
  if (!emulator) {
    throw new Error(
      "Set dps:connectionString (pulumi config set --secret dps:connectionString ...) or start the emulator " +
        "and export DPS_EMULATOR_CONNECTION_STRING, DPS_EMULATOR_ENDPOINT and DPS_EMULATOR_CA.",
    );
  }
  return {
    connectionString: emulator,
    endpoint: process.env.DPS_EMULATOR_ENDPOINT,
    caCertificate: process.env.DPS_EMULATOR_CA,
  };
}

/** Declares the three enrollments and returns them. */
export function quickstart(prefix = "quickstart") {
  const connection = connectionFromConfig();
  const sensor = new IndividualEnrollment(`${prefix}-sensor`, {
    connection,
    registrationId: `${prefix}-sensor-01`,
    attestation: { type: "symmetricKey" }, // keys generated once, kept secret in state
    provisioningStatus: "Enabled",
    tags: { role: "sensor" },
  });
  const gateway = new IndividualEnrollment(`${prefix}-gateway`, {
    connection,
    registrationId: `${prefix}-gateway-01`,
    attestation: {
      type: "tpm",
      // The public part of a TPM's endorsement key (TPM2B_PUBLIC, base64), as tpm2_readpublic prints it.
      endorsementKey:
        "AToAAQALAAMAsgAgg3GXZ0SEs/gakMyNRqXXJP1S124GUgtk8qHaGzMUaaoABgCAAEMAEAgAAAAAAAEAxsj2gUScTk1UjuioeTlfGYZrrimExB+bScH75adUMRIi2UOMxG1kw4y+9RW/IVoMl4e620VxZad0ARX2gUqVjYO7KPVt3dyKhZS3dkcvfBisBhP1XH9B33VqHG9SHnbnQXdBUaCgKAfxome8UmBKfe+naTsE5fkvjb/do3/dD6l4sGBwFCnKRdln4XpM03zLpoHFao8zOwt8l/uP3qUIxmCYv9A7m69Ms+5/pCkTu/rK4mRDsfhZ0QLfbzVI6zQFOKF/rwsfBtFeWlWtcuJMKlXdD8TXWElTzgh7JS4qhFzreL0c1mI0GCj+Aws0usZh7dLIVPnlgZcBhgy1SSDQMQ==",
    },
    edgeEnabled: true,
  });
  const camera = new IndividualEnrollment(`${prefix}-camera`, {
    connection,
    registrationId: `${prefix}-camera-01`,
    attestation: { type: "x509", primaryCaName: "fleet-root-ca" },
    deviceId: "camera-01",
  });
  return { sensor, gateway, camera };
}
