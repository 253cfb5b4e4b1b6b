// End to end, without Azure: the connection the azure-native helpers produce (azure-native answered by
// mocks that describe the local emulator as the DPS) drives the official client against the emulator.
// Key auth: the chosen policy's SAS. Microsoft Entra: DefaultAzureCredential gets a token from the
// emulator's App-Service-style managed identity endpoint (IDENTITY_ENDPOINT / IDENTITY_HEADER) and the
// client sends it as a Bearer token, which the emulator verifies.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { TokenCredential } from "@azure/core-auth";
import * as pulumi from "@pulumi/pulumi";
import type { IndividualEnrollment as ClientEnrollment } from "azure-iot-provisioning-service/dist/interfaces";
import { startEmulator, type EmulatorHandle, type EmulatorStats } from "../../emulator";
import {
  dpsConnection,
  dpsConnectionFromResourceId,
  type AzureDpsConnection,
} from "../../provider/azure/dps";
import { createServiceClient } from "../../provider/core/transport";
import { valueOf } from "../support/outputs";

const execFileAsync = promisify(execFile);

const SUBSCRIPTION = "11111111-2222-3333-4444-555555555555";
const RG = "emulated-rg";
const DPS = "emulated-dps";
const DPS_ID = `/subscriptions/${SUBSCRIPTION}/resourceGroups/${RG}/providers/Microsoft.Devices/provisioningServices/${DPS}`;

/** Environment variables DefaultAzureCredential reads; cleared in the child so only the emulator's identity applies. */
const IDENTITY_VARIABLES = [
  "IDENTITY_ENDPOINT",
  "IDENTITY_HEADER",
  "IDENTITY_SERVER_THUMBPRINT",
  "IMDS_ENDPOINT",
  "MSI_ENDPOINT",
  "MSI_SECRET",
  "AZURE_CLIENT_ID",
  "AZURE_TENANT_ID",
  "AZURE_CLIENT_SECRET",
  "AZURE_CLIENT_CERTIFICATE_PATH",
  "AZURE_CLIENT_CERTIFICATE_PASSWORD",
  "AZURE_FEDERATED_TOKEN_FILE",
  "AZURE_USERNAME",
  "AZURE_PASSWORD",
  "AZURE_TOKEN_CREDENTIALS",
];

/** azure-native answered with the emulator's facts: its host name, linked hubs and policies. */
function emulatorAsAzure(emulator: EmulatorHandle): pulumi.runtime.Mocks {
  const known = (inputs: Record<string, unknown>): boolean =>
    String(inputs.resourceGroupName).toLowerCase() === RG &&
    String(inputs.provisioningServiceName).toLowerCase() === DPS;
  return {
    newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs }),
    call: (args) => {
      if (!known(args.inputs)) throw new Error(`ResourceNotFound: ${JSON.stringify(args.inputs)}`);
      switch (args.token) {
        case "azure-native:deviceprovisioningservices:getIotDpsResource":
          return {
            id: DPS_ID,
            name: DPS,
            properties: {
              serviceOperationsHostName: emulator.hostName,
              iotHubs: emulator.linkedHubs.map((name) => ({
                name,
                location: "westeurope",
                connectionString: "x",
              })),
            },
          };
        case "azure-native:deviceprovisioningservices:listIotDpsResourceKeys":
          return {
            value: [
              // A read-only policy first: the pick must skip it. Its key is not one the emulator accepts.
              {
                keyName: "reader",
                rights: "EnrollmentRead",
                primaryKey: Buffer.from("wrong").toString("base64"),
              },
              ...emulator.policies.map((p) => ({
                keyName: p.keyName,
                rights: p.rights.join(", "),
                primaryKey: p.primaryKey,
              })),
            ],
          };
        default:
          throw new Error(`unexpected call ${args.token}`);
      }
    },
  };
}

/** Create, read back and delete an enrollment through the official client. */
async function roundTrip(connection: AzureDpsConnection, registrationId: string): Promise<void> {
  const client = createServiceClient(connection);
  const enrollment = { registrationId, attestation: { type: "symmetricKey" } } as ClientEnrollment;
  const created = await client.createOrUpdateIndividualEnrollment(enrollment);
  assert.equal(created.responseBody.registrationId, registrationId);
  const read = await client.getIndividualEnrollment(registrationId);
  assert.equal(read.responseBody.registrationId, registrationId);
  assert.ok(read.responseBody.etag);
  await client.deleteIndividualEnrollment(registrationId);
  await assert.rejects(
    client.getIndividualEnrollment(registrationId),
    (err: Error & { responseBody?: string }) => {
      assert.match(`${err.message} ${err.responseBody ?? ""}`, /not found|404|401002|404201/i);
      return true;
    },
  );
}

/**
 * {@link roundTrip} with `credential: "default"` in a child process. MSAL caches managed identity tokens
 * for the whole process (whatever the client id), so doing this in the test process would leave a token of
 * this emulator's issuer for later tests that start their own emulator, and could pick up theirs.
 * The child gets a clean environment: only the emulator's managed identity variables.
 */
async function roundTripInChild(
  connection: AzureDpsConnection,
  registrationId: string,
  identity: Record<string, string>,
): Promise<unknown> {
  const script = `
    const { createServiceClient } = require(${JSON.stringify(require.resolve("../../provider/core/transport"))});
    (async () => {
      const [connection, registrationId] = JSON.parse(process.argv[1]);
      const client = createServiceClient(connection);
      const created = await client.createOrUpdateIndividualEnrollment({ registrationId, attestation: { type: "symmetricKey" } });
      const read = await client.getIndividualEnrollment(registrationId);
      await client.deleteIndividualEnrollment(registrationId);
      const gone = await client.getIndividualEnrollment(registrationId).then(() => 200, (e) => e.response && e.response.statusCode);
      console.log(JSON.stringify({ created: created.responseBody.registrationId, read: read.responseBody.registrationId, etag: !!read.responseBody.etag, gone }));
    })().catch((e) => { console.error(e && e.stack || e); process.exit(1); });`;
  const env: NodeJS.ProcessEnv = { ...process.env, ...identity };
  for (const name of IDENTITY_VARIABLES) if (!(name in identity)) delete env[name];
  const { stdout } = await execFileAsync(
    process.execPath,
    ["-e", script, JSON.stringify([connection, registrationId])],
    {
      env,
      timeout: 30_000,
    },
  );
  return JSON.parse(stdout.trim().split("\n").pop() ?? "null") as unknown;
}

/** The emulator counts a request when its answer is finished: wait (briefly) until `total` is reached. */
async function settledStats(total: number): Promise<EmulatorStats> {
  let stats = emulatorRef.stats();
  for (let i = 0; i < 50 && stats.total < total; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    stats = emulatorRef.stats();
  }
  return stats;
}

async function settled401(count: number): Promise<EmulatorStats> {
  let stats = emulatorRef.stats();
  for (let i = 0; i < 50 && stats.responses["401"] < count; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    stats = emulatorRef.stats();
  }
  return stats;
}

let emulatorRef: EmulatorHandle;

describe("azure-native connections against the emulator (real client)", function () {
  this.timeout(60_000);
  let emulator: EmulatorHandle;

  before(async () => {
    emulator = emulatorRef = await startEmulator({ testIssuer: true });
    await pulumi.runtime.setMocks(emulatorAsAzure(emulator), "dps-enrollments-azure", "entra", false);
  });

  after(async () => {
    await emulator?.stop();
  });

  /** The helper's connection, routed to the local emulator (as a user would for a local test). */
  async function local(output: pulumi.Output<AzureDpsConnection>): Promise<AzureDpsConnection> {
    return { ...(await valueOf(output)), endpoint: emulator.endpoint, caCertificate: emulator.caCertificate };
  }

  it("key auth: the EnrollmentWrite policy's connection string works with the real client", async () => {
    const connection = await local(dpsConnection({ resourceGroupName: RG, dpsName: DPS }));
    assert.equal(connection.connectionString, emulator.connectionString);
    assert.deepEqual(connection.linkedHubs, emulator.linkedHubs);
    await roundTrip(connection, "azure-key-round-trip");
  });

  it("Entra: DefaultAzureCredential's Bearer token round-trips through the official client", async () => {
    const issuer = emulator.testIssuer;
    assert.ok(issuer, "the emulator was started with testIssuer");
    const connection = await local(dpsConnectionFromResourceId(DPS_ID, { auth: "entra" }));
    assert.deepEqual(
      {
        hostName: connection.hostName,
        credential: connection.credential,
        connectionString: connection.connectionString,
      },
      { hostName: emulator.hostName, credential: "default", connectionString: undefined },
    );
    const before = emulator.stats();
    const result = await roundTripInChild(connection, "azure-entra-round-trip", {
      IDENTITY_ENDPOINT: issuer.identityEndpoint,
      IDENTITY_HEADER: issuer.identityHeader,
    });
    assert.deepEqual(result, {
      created: "azure-entra-round-trip",
      read: "azure-entra-round-trip",
      etag: true,
      gone: 404,
    });
    const after = await settledStats(before.total + 4);
    // put, get, delete, get (404): all authenticated; the connection has no key, so only a Bearer token can do it.
    assert.equal(after.total - before.total, 4);
    assert.equal(after.responses["401"], before.responses["401"]);
  });

  it("Entra: the emulator verifies the Bearer token (a forged one gets 401)", async () => {
    const connection = await local(dpsConnection({ resourceGroupName: RG, dpsName: DPS }, { auth: "entra" }));
    const forged: TokenCredential = {
      getToken: async () => ({
        token: "eyJhbGciOiJub25lIn0.eyJhdWQiOiJ4In0.",
        expiresOnTimestamp: Date.now() + 600_000,
      }),
    };
    const client = createServiceClient(connection, { credential: forged });
    const before = emulator.stats().responses["401"];
    await assert.rejects(client.getIndividualEnrollment("anything"));
    assert.equal((await settled401(before + 1)).responses["401"], before + 1);
  });
});
