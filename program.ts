/**
 * The root program: one DPS individual enrollment per attestation kind (symmetric key, TPM, X.509
 * certificate), and a symmetric-key enrollment group for a fleet with the device key of one of its
 * devices derived from the group key. `index.ts` runs it under the ordinary Pulumi CLI (`pulumi up` in this directory);
 * `npm run demo` runs the same function inline through the Automation API against the local emulator.
 *
 * Target:
 * - a real DPS: `pulumi config set --secret dps:connectionString "HostName=...;SharedAccessKeyName=...;SharedAccessKey=..."`
 *   (a policy with EnrollmentRead and EnrollmentWrite), and `pulumi config set --path 'demo:iotHubs[0]' my-hub.azure-devices.net`
 *   (hubs linked to that DPS) to manage the allocation;
 * - the local emulator, with no `dps:connectionString`: the emulator is named by environment variables
 *   `DPS_EMULATOR_CONNECTION_STRING`, `DPS_EMULATOR_ENDPOINT` (e.g. `https://127.0.0.1:8443`),
 *   `DPS_EMULATOR_CA` (PEM text or a file path) and optionally `DPS_EMULATOR_HUBS` (comma-separated
 *   linked hubs; the emulator's defaults otherwise) and `DPS_EMULATOR_ADR_POLICY` (`NAMESPACE/CA/POLICY`,
 *   one the emulator was started with `--adr-policy`: the fleet group then names it, so its devices
 *   that send a CSR get an operational certificate).
 *
 * `demo:phase` (1 or 2, default 1) drives a Set-style change: phase 2 retags the symmetric-key
 * enrollment and moves it from a static hub to hashed allocation over two hubs.
 */
import * as pulumi from "@pulumi/pulumi";
import { EnrollmentGroup, IndividualEnrollment, type DpsConnectionArgs } from "./provider";

/** The emulator's default linked hubs (see emulator/index.ts), used when nothing else names hubs. */
const EMULATOR_DEFAULT_HUBS = ["hub1.azure-devices.net", "hub2.azure-devices.net"];

/**
 * A TPM 2.0 endorsement key (public part, base64), the sample from the Azure DPS documentation. A real
 * device's own key goes here.
 */
export const DEMO_TPM_ENDORSEMENT_KEY =
  "AToAAQALAAMAsgAgg3GXZ0SEs/gakMyNRqXXJP1S124GUgtk8qHaGzMUaaoABgCAAEMAEAgAAAAAAAEAxsj2gUScTk1UjuioeTlfGYZrrimExB+bScH75adUMRIi2UOMxG1kw4y+9RW/IVoMl4e620VxZad0ARX2gUqVjYO7KPVt3dyKhZS3dkcvfBisBhP1XH9B33VqHG9SHnbnQXdBUaCgKAfxome8UmBKfe+naTsE5fkvjb/do3/dD6l4sGBwFCnKRdln4XpM03zLpoHFao8zOwt8l/uP3qUIxmCYv9A7m69Ms+5/pCkTu/rK4mRDsfhZ0QLfbzVI6zQFOKF/rwsfBtFeWlWtcuJMKlXdD8TXWElTzgh7JS4qhFzreL0c1mI0GCj+Aws0usZh7dLIVPnlgZcBhgy1SSDQMQ==";

/**
 * A self-signed device certificate (public part only; P-256, CN `demo-camera-01`, valid until 2036).
 * For X.509 individual enrollments the registration id is the certificate's common name.
 */
export const DEMO_DEVICE_CERTIFICATE = `-----BEGIN CERTIFICATE-----
MIIBiDCCAS2gAwIBAgIUfblqE/lQD6bfPoXqwrSAbXyAJbwwCgYIKoZIzj0EAwIw
GTEXMBUGA1UEAwwOZGVtby1jYW1lcmEtMDEwHhcNMjYxMTI2MTQzMjQ1WhcNMzYx
MTIzMTQzMjQ1WjAZMRcwFQYDVQQDDA5kZW1vLWNhbWVyYS0wMTBZMBMGByqGSM49
AgEGCCqGSM49AwEHA0IABAD5ZAnB4tXHvDOr5xvQk5v+74gFsZf6ZKZXyDqL55+5
i99RwJ7YpV448ED38/kvFL1sW479DoSTd+Yj9xcbIgCjUzBRMB0GA1UdDgQWBBQ3
loI1dZwatZ4ju/WP+3BIkblPRTAfBgNVHSMEGDAWgBQ3loI1dZwatZ4ju/WP+3BI
kblPRTAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0kAMEYCIQCbSQhFF4Uf
pcPPOoUUzV6MQ53fe/A6+0pSzSLcfxtO4QIhALgPgt4s+s7cl+ly5j0+X0a1uShT
uLKhsKV+71lylDOX
-----END CERTIFICATE-----
`;

/** Registration ids the program manages. */
export const REGISTRATION_IDS = {
  sensor: "demo-sensor-01",
  gateway: "demo-gateway-01",
  camera: "demo-camera-01",
} as const;

/** The enrollment group the program manages, and one device that registers through it. */
export const FLEET = { enrollmentGroupId: "demo-fleet", device: "demo-fleet-0001" } as const;

/** Everything the program needs to know, resolved from stack config or given by the demo. */
export interface ProgramSettings {
  /** The DPS. */
  connection: DpsConnectionArgs;
  /** 1: initial state; 2: the Set-style change on the sensor enrollment. */
  phase: 1 | 2;
  /** IoT hubs linked to the DPS; with none, the sensor's allocation is left unmanaged. */
  iotHubs: string[];
  /** An Azure Device Registry certificate policy for the fleet group to name; none by default. */
  adrPolicy?: AdrPolicy;
  /** The gateway's TPM endorsement key (base64); the documentation's sample by default. */
  gatewayEndorsementKey?: string;
}

/** An ADR certificate policy, by the three names an enrollment gives (data plane 2026-11-01). */
export interface AdrPolicy {
  /** ADR namespace. */
  namespaceName: string;
  /** Certificate authority that owns the policy. */
  certificateAuthorityName: string;
  /** The policy. */
  certificatePolicyName: string;
}

/** `NAMESPACE/CA/POLICY` (the emulator's `--adr-policy` form) as the three names. */
export function parseAdrPolicy(text: string): AdrPolicy {
  const [namespaceName, certificateAuthorityName, certificatePolicyName, ...rest] = text.split("/");
  if (!namespaceName || !certificateAuthorityName || !certificatePolicyName || rest.length > 0) {
    throw new Error(`An ADR policy is NAMESPACE/CA/POLICY, not ${JSON.stringify(text)}`);
  }
  return { namespaceName, certificateAuthorityName, certificatePolicyName };
}

/** Reads {@link ProgramSettings} from stack config (`dps:*`, `demo:*`) and the `DPS_EMULATOR_*` environment. */
export function settingsFromConfig(): ProgramSettings {
  const dps = new pulumi.Config("dps");
  const demo = new pulumi.Config("demo");
  const phase = demo.getNumber("phase") ?? 1;
  if (phase !== 1 && phase !== 2) throw new Error(`demo:phase must be 1 or 2, not ${phase}`);
  const connectionString = dps.getSecret("connectionString");
  if (connectionString) {
    return { connection: { connectionString }, phase, iotHubs: demo.getObject<string[]>("iotHubs") ?? [] };
  }
  const emulator = process.env.DPS_EMULATOR_CONNECTION_STRING;
  if (!emulator) {
    throw new Error(
      "No DPS: set dps:connectionString (`pulumi config set --secret dps:connectionString ...`) for a real DPS, " +
        "or start the emulator and set DPS_EMULATOR_CONNECTION_STRING, DPS_EMULATOR_ENDPOINT and DPS_EMULATOR_CA.",
    );
  }
  const hubs = process.env.DPS_EMULATOR_HUBS?.split(",")
    .map((h) => h.trim())
    .filter((h) => h.length > 0);
  const adr = process.env.DPS_EMULATOR_ADR_POLICY;
  return {
    // Secret, so the emulator's key never lands in state in clear even if the resource did not mark it.
    connection: {
      connectionString: pulumi.secret(emulator),
      endpoint: process.env.DPS_EMULATOR_ENDPOINT,
      caCertificate: process.env.DPS_EMULATOR_CA,
    },
    phase,
    iotHubs: demo.getObject<string[]>("iotHubs") ?? (hubs && hubs.length > 0 ? hubs : EMULATOR_DEFAULT_HUBS),
    adrPolicy: adr ? parseAdrPolicy(adr) : undefined,
    // The demo enrolls a software TPM's key here when swtpm is installed.
    gatewayEndorsementKey: process.env.DEMO_TPM_ENDORSEMENT_KEY || undefined,
  };
}

/** The stack outputs of {@link program}. */
export interface ProgramOutputs {
  /** Registration ids, to hand to the devices. */
  registrationIds: pulumi.Output<string>[];
  /** The sensor's generated primary key (secret: `pulumi stack output --show-secrets sensorPrimaryKey`). */
  sensorPrimaryKey: pulumi.Output<string>;
  /** The sensor's allocation, to see the Set-style change. */
  sensorAllocation: pulumi.Output<{ policy?: string; hubs?: string[] }>;
  /** The sensor's twin tags. */
  sensorTags: pulumi.Output<unknown>;
  /** Where the sensor device landed when it registered (its `registrationState`, read by a refresh). */
  sensorAssignedHub: pulumi.Output<string>;
  /** Where the TPM gateway landed when it registered (its `registrationState`, read by a refresh). */
  gatewayAssignedHub: pulumi.Output<string>;
  /** The fleet group's id. */
  fleetGroupId: pulumi.Output<string>;
  /** The key {@link FLEET}'s device registers with, derived from the group key (secret). */
  fleetDeviceKey: pulumi.Output<string>;
}

/** The hub of an enrollment's device, from its `registrationState` (read by a refresh). */
function assignedHub(enrollment: IndividualEnrollment): pulumi.Output<string> {
  return enrollment.registrationState.apply((s) =>
    typeof s?.assignedHub === "string" ? s.assignedHub : "(not registered yet)",
  );
}

/**
 * Declares the three enrollments and the fleet group.
 *
 * @param settings which DPS, which phase, which hubs
 * @returns the stack outputs
 */
export function program(settings: ProgramSettings): ProgramOutputs {
  const { connection, phase, iotHubs, adrPolicy, gatewayEndorsementKey } = settings;
  const allocation =
    iotHubs.length === 0
      ? {}
      : phase === 1
        ? { allocationPolicy: "Static", iotHubs: [iotHubs[0]] }
        : { allocationPolicy: "Hashed", iotHubs: iotHubs.slice(0, 2) };

  // Symmetric key: no keys given, so the provider generates both once and keeps them (secret) in state.
  const sensor = new IndividualEnrollment("sensor", {
    connection,
    registrationId: REGISTRATION_IDS.sensor,
    attestation: { type: "symmetricKey" },
    provisioningStatus: "Enabled",
    tags: phase === 1 ? { role: "sensor", env: "dev" } : { role: "sensor", env: "prod", site: "plant-7" },
    ...allocation,
  });

  // TPM: the device's endorsement key; the gateway stays on the last hub in both phases.
  const gateway = new IndividualEnrollment("gateway", {
    connection,
    registrationId: REGISTRATION_IDS.gateway,
    attestation: { type: "tpm", endorsementKey: gatewayEndorsementKey ?? DEMO_TPM_ENDORSEMENT_KEY },
    edgeEnabled: true,
    tags: { role: "gateway" },
    ...(iotHubs.length === 0 ? {} : { allocationPolicy: "Static", iotHubs: [iotHubs[iotHubs.length - 1]] }),
  });

  // X.509: the device's own certificate; the registration id is its common name.
  const camera = new IndividualEnrollment("camera", {
    connection,
    registrationId: REGISTRATION_IDS.camera,
    attestation: { type: "x509", primaryCertificate: DEMO_DEVICE_CERTIFICATE },
    deviceId: "camera-01",
    tags: { role: "camera" },
  });

  // An enrollment group: every device whose key is derived from the group key may register; with an
  // ADR policy, those that send a CSR also get an operational certificate.
  const fleet = new EnrollmentGroup("fleet", {
    connection,
    enrollmentGroupId: FLEET.enrollmentGroupId,
    attestation: { type: "symmetricKey" },
    tags: { role: "fleet" },
    ...(iotHubs.length === 0 ? {} : { allocationPolicy: "Hashed", iotHubs: iotHubs.slice(0, 2) }),
    ...adrPolicy,
  });

  return {
    registrationIds: [sensor.registrationId, gateway.registrationId, camera.registrationId],
    fleetGroupId: fleet.enrollmentGroupId,
    // What `az iot dps enrollment-group compute-device-key` prints, kept secret.
    fleetDeviceKey: fleet.deviceKey(FLEET.device),
    // Unknown in a preview of an update (the preview shows inputs, which have no key).
    sensorPrimaryKey: sensor.attestation.apply((a) => a.primaryKey ?? "(known after up)"),
    sensorAllocation: pulumi
      .all([sensor.allocationPolicy, sensor.iotHubs])
      .apply(([policy, hubs]) => ({ policy, hubs })),
    sensorTags: sensor.tags,
    sensorAssignedHub: assignedHub(sensor),
    gatewayAssignedHub: assignedHub(gateway),
  };
}
