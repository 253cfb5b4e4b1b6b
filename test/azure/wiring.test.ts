// The azure-native wiring under `pulumi.runtime.setMocks`: examples/azure runs as a program, azure-native
// resources and invokes are answered by the mocks below, and the enrollments' inputs are inspected.
// The mocks never call a provider, so this proves the wiring (host name, policy pick, secrets, linked
// hubs), not the DPS itself (see entra.test.ts and the emulator tests for that).
import assert from "node:assert/strict";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import {
  dpsConnection,
  dpsConnectionFromResource,
  dpsConnectionFromResourceId,
  type AzureDpsConnection,
  type DpsConnectionOptions,
  type DpsDescription,
} from "../../provider/azure/dps";
import { DPS_RESOURCE_ID_SHAPE } from "../../provider/azure/resourceId";
import { checkGroupInputs } from "../../provider/group/check";
import { checkInputs } from "../../provider/individual/check";
import { valueOf } from "../support/outputs";

const SUBSCRIPTION = "11111111-2222-3333-4444-555555555555";
const READ_KEY = "cmVhZC1vbmx5LWtleQ==";
const OWNER_KEY = "b3duZXIta2V5LXdpdGgtd3JpdGU=";
const WRITER_KEY = "c2Vjb25kLXdyaXRlci1rZXk=";
const HUB_KEY = "aHViLW93bmVyLWtleQ==";
/** The DPS (by name) whose policies cannot write enrollments. */
const NO_WRITE_DPS = "no-write-dps";

/** Policies as listIotDpsResourceKeys answers: one without EnrollmentWrite first, then two with it. */
const POLICIES = [
  { keyName: "reader", rights: "EnrollmentRead", primaryKey: READ_KEY, secondaryKey: READ_KEY },
  {
    keyName: "provisioningserviceowner",
    rights: "ServiceConfig, DeviceConnect, EnrollmentRead, EnrollmentWrite",
    primaryKey: OWNER_KEY,
    secondaryKey: OWNER_KEY,
  },
  {
    keyName: "writer",
    rights: "EnrollmentRead, EnrollmentWrite",
    primaryKey: WRITER_KEY,
    secondaryKey: WRITER_KEY,
  },
];

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonRecord = { [key: string]: Json };

function isRecord(value: unknown): value is JsonRecord {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isSecretValue(value: unknown): boolean {
  return isRecord(value) && value[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig;
}

/** Mock inputs with secrets unwrapped, at any depth. */
function plain(value: unknown): Json {
  if (isSecretValue(value)) return plain((value as JsonRecord).value);
  if (Array.isArray(value)) return value.map(plain);
  if (isRecord(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  return value as Json;
}

function field(value: Json | undefined, ...keys: string[]): Json | undefined {
  let current = value;
  for (const key of keys) current = isRecord(current) ? current[key] : undefined;
  return current;
}

function hostOfConnectionString(value: Json | undefined): string {
  const match = /HostName=([^;]+)/.exec(String(value));
  if (!match) throw new Error(`no HostName in ${String(value)}`);
  return match[1];
}

/** A recording azure-native fake: resource groups, IoT hubs and DPSs; the DPS invokes. */
class AzureMocks implements pulumi.runtime.Mocks {
  readonly resources = new Map<string, pulumi.runtime.MockResourceArgs>();
  readonly calls: pulumi.runtime.MockCallArgs[] = [];
  /** DPS descriptions by lower-case `resourceGroup/name`, as getIotDpsResource answers. */
  readonly dpsByName = new Map<string, JsonRecord>();

  constructor() {
    // A DPS outside the program, whose only policy cannot write enrollments.
    this.addDps("other-rg", NO_WRITE_DPS, []);
  }

  addDps(resourceGroupName: string, name: string, hubHostNames: string[]): JsonRecord {
    const description: JsonRecord = {
      id: `/subscriptions/${SUBSCRIPTION}/resourceGroups/${resourceGroupName}/providers/Microsoft.Devices/provisioningServices/${name}`,
      name,
      type: "Microsoft.Devices/provisioningServices",
      location: "westeurope",
      properties: {
        serviceOperationsHostName: `${name}.azure-devices-provisioning.net`,
        deviceProvisioningHostName: "global.azure-devices-provisioning.net",
        idScope: "0ne000A1B2C",
        iotHubs: hubHostNames.map((h) => ({
          name: h,
          location: "westeurope",
          connectionString: "HostName=...",
        })),
      },
    };
    this.dpsByName.set(`${resourceGroupName}/${name}`.toLowerCase(), description);
    return description;
  }

  newResource(args: pulumi.runtime.MockResourceArgs): { id: string; state: JsonRecord } {
    this.resources.set(args.name, args);
    const inputs = plain(args.inputs) as JsonRecord;
    switch (args.type) {
      case "azure-native:resources:ResourceGroup": {
        const name = String(inputs.resourceGroupName ?? `${args.name}-rg1`);
        return { id: `/subscriptions/${SUBSCRIPTION}/resourceGroups/${name}`, state: { ...inputs, name } };
      }
      case "azure-native:iothub:IotHubResource": {
        const name = String(inputs.resourceName ?? `${args.name}-hub1`);
        const id = `/subscriptions/${SUBSCRIPTION}/resourceGroups/${inputs.resourceGroupName}/providers/Microsoft.Devices/IotHubs/${name}`;
        return { id, state: { ...inputs, name, properties: { hostName: `${name}.azure-devices.net` } } };
      }
      case "azure-native:deviceprovisioningservices:IotDpsResource": {
        const name = String(inputs.provisioningServiceName ?? `${args.name}-dps1`);
        const hubs = field(inputs, "properties", "iotHubs");
        // ARM reports each linked hub's host name as `name`.
        const hubHostNames = Array.isArray(hubs)
          ? hubs.map((h) => hostOfConnectionString(field(h, "connectionString")))
          : [];
        const description = this.addDps(String(inputs.resourceGroupName), name, hubHostNames);
        return { id: String(description.id), state: { ...inputs, ...description } };
      }
      case "azure-native:deviceregistry:Namespace":
      case "azure-native:deviceregistry:Credential":
      case "azure-native:deviceregistry:Policy": {
        // ARM names: the namespace and policy as given or autonamed; a namespace's credential is "default".
        const own = args.type.endsWith("Policy") ? inputs.policyName : inputs.namespaceName;
        const name = args.type.endsWith("Credential") ? "default" : String(own ?? `${args.name}-1`);
        return { id: `${args.name}-id`, state: { ...inputs, name } };
      }
      default:
        return { id: `${args.name}-id`, state: args.inputs };
    }
  }

  call(args: pulumi.runtime.MockCallArgs): JsonRecord {
    this.calls.push(args);
    const inputs = plain(args.inputs) as JsonRecord;
    const dpsKey = `${inputs.resourceGroupName}/${inputs.provisioningServiceName}`.toLowerCase();
    switch (args.token) {
      case "azure-native:iothub:listIotHubResourceKeys":
        return {
          value: [
            {
              keyName: "iothubowner",
              rights: "RegistryWrite, ServiceConnect, DeviceConnect",
              primaryKey: HUB_KEY,
            },
          ],
        };
      case "azure-native:deviceprovisioningservices:getIotDpsResource": {
        const description = this.dpsByName.get(dpsKey);
        if (!description) throw new Error(`ResourceNotFound: ${dpsKey}`);
        return description;
      }
      case "azure-native:deviceprovisioningservices:listIotDpsResourceKeys": {
        if (!this.dpsByName.has(dpsKey)) throw new Error(`ResourceNotFound: ${dpsKey}`);
        const readOnly = POLICIES.filter((p) => !p.rights.includes("EnrollmentWrite"));
        return { value: dpsKey.endsWith(`/${NO_WRITE_DPS}`) ? readOnly : POLICIES };
      }
      default:
        throw new Error(`unexpected call ${args.token}`);
    }
  }

  /** The recorded inputs of the resource registered under `name`. */
  inputsOf(name: string): JsonRecord {
    const args = this.resources.get(name);
    if (!args) throw new Error(`no resource ${name}; have ${[...this.resources.keys()].join(", ")}`);
    return args.inputs as JsonRecord;
  }

  callsOf(token: string): pulumi.runtime.MockCallArgs[] {
    return this.calls.filter((c) => c.token === token);
  }
}

/** The part of examples/azure's `azureExample()` result this test reads. */
interface ExampleResult {
  dps: pulumi.CustomResource & DpsDescription;
  hub: pulumi.CustomResource;
  enrollments: Record<string, pulumi.CustomResource & { connection: pulumi.Output<unknown> }>;
  adr: { group: pulumi.CustomResource };
}

/** Loads examples/azure/program.ts from source (the root build does not compile examples). */
function loadExample(): { azureExample(settings?: { prefix?: string }): ExampleResult } {
  const dir = path.resolve(__dirname, "../../../examples/azure");
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const tsNode = require("ts-node") as typeof import("ts-node");
  tsNode.register({
    project: path.join(dir, "tsconfig.json"),
    transpileOnly: true,
    scope: true,
    scopeDir: dir,
  });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(path.join(dir, "program.ts")) as {
    azureExample(settings?: { prefix?: string }): ExampleResult;
  };
}

// Names the mocks give autonamed resources of examples/azure.
const EXAMPLE_RG = "dps-enrollments-rg1";
const EXAMPLE_DPS_HOST = "dps-dps1.azure-devices-provisioning.net";
const EXAMPLE_HUB_HOST = "hub-hub1.azure-devices.net";

describe("examples/azure under setMocks", function () {
  this.timeout(60_000);
  const mocks = new AzureMocks();
  let example: ExampleResult;

  before(async () => {
    await pulumi.runtime.setMocks(mocks, "dps-enrollments-azure", "test", false);
    example = loadExample().azureExample({ prefix: "wired" });
    await Promise.all([...Object.values(example.enrollments), example.adr.group].map((e) => valueOf(e.urn)));
  });

  const keyForms: [string, string][] = [
    ["by-names", "ResourceSet: { resourceGroupName, dpsName }"],
    ["by-object", "InputObjectSet: the IotDpsResource"],
    ["by-resource-id", "ResourceIdSet: the resource id"],
  ];
  for (const [name, form] of keyForms) {
    it(`${form}: the host name and the first EnrollmentWrite key reach the enrollment, as a secret`, () => {
      const connection = mocks.inputsOf(name).connection;
      assert.ok(
        isSecretValue(connection),
        `connection of ${name} is not secret: ${JSON.stringify(connection)}`,
      );
      assert.deepEqual(plain(connection), {
        connectionString: `HostName=${EXAMPLE_DPS_HOST};SharedAccessKeyName=provisioningserviceowner;SharedAccessKey=${OWNER_KEY}`,
        linkedHubs: [EXAMPLE_HUB_HOST],
      });
    });
  }

  it("the ADR group names the namespace, certificate authority and policy from azure-native's outputs", () => {
    const inputs = plain(mocks.inputsOf("adr-fleet"));
    assert.equal(field(inputs, "enrollmentGroupId"), "wired-adr-fleet");
    assert.equal(field(inputs, "namespaceName"), "adr-1");
    assert.equal(field(inputs, "certificateAuthorityName"), "default");
    assert.equal(field(inputs, "certificatePolicyName"), "adr-devices-1");
    assert.deepEqual(
      checkGroupInputs(inputs as Record<string, unknown>).failures,
      [],
      "the names azure-native gives pass the preview checks",
    );
  });

  it("every enrollment keeps its connection secret in state", async () => {
    for (const [name, enrollment] of Object.entries(example.enrollments)) {
      assert.equal(await pulumi.isSecret(enrollment.connection), true, name);
    }
  });

  it("Entra: host name and credential only; no key is looked up or stored", () => {
    const inputs = mocks.inputsOf("entra");
    assert.deepEqual(plain(inputs.connection), {
      hostName: EXAMPLE_DPS_HOST,
      credential: "default",
      linkedHubs: [EXAMPLE_HUB_HOST],
    });
    const text = JSON.stringify(inputs);
    for (const key of [READ_KEY, OWNER_KEY, WRITER_KEY]) assert.ok(!text.includes(key));
  });

  it("links the hub to the DPS with the hub's key, as a secret", () => {
    const dpsInputs = mocks.inputsOf("dps");
    assert.ok(isSecretValue(dpsInputs.properties), "the DPS's iotHubs carry the hub key and must be secret");
    assert.deepEqual(field(plain(dpsInputs.properties), "iotHubs"), [
      {
        connectionString: `HostName=${EXAMPLE_HUB_HOST};SharedAccessKeyName=iothubowner;SharedAccessKey=${HUB_KEY}`,
        location: "westeurope",
      },
    ]);
  });

  it("the enrollments name the linked hub and the configured registration ids", () => {
    for (const [name] of [...keyForms, ["entra"]]) {
      const inputs = plain(mocks.inputsOf(name));
      assert.deepEqual(field(inputs, "iotHubs"), [EXAMPLE_HUB_HOST]);
      assert.equal(field(inputs, "registrationId"), `wired-${name}`);
    }
  });

  it("preview-time hub validation: check accepts the linked hub, rejects another and lists the linked ones", () => {
    for (const name of ["by-names", "by-object", "by-resource-id", "entra"]) {
      const inputs = plain(mocks.inputsOf(name)) as JsonRecord;
      assert.deepEqual(checkInputs(inputs).failures, [], name);
      const unlinked = checkInputs({ ...inputs, iotHubs: ["elsewhere.azure-devices.net"] }).failures;
      assert.deepEqual(
        unlinked.map((f) => f.property),
        ["iotHubs"],
        `${name}: ${JSON.stringify(unlinked)}`,
      );
      assert.match(unlinked[0].reason, /"elsewhere.azure-devices.net" is not linked to this DPS/);
      assert.ok(unlinked[0].reason.includes(EXAMPLE_HUB_HOST), unlinked[0].reason);
    }
  });

  it("InputObjectSet without a resource group parses it from the DPS's id", async () => {
    const connection = await valueOf(dpsConnectionFromResource(example.dps));
    assert.equal(hostOfConnectionString(connection.connectionString ?? ""), EXAMPLE_DPS_HOST);
    const last = mocks.callsOf("azure-native:deviceprovisioningservices:listIotDpsResourceKeys").at(-1);
    assert.equal(field(plain(last?.inputs), "resourceGroupName"), EXAMPLE_RG);
  });
});

describe("azure-native connection helpers under setMocks", function () {
  this.timeout(60_000);
  const mocks = new AzureMocks();
  const RG = "conn-rg";
  const DPS = "conn-dps";
  const DPS_HOST = `${DPS}.azure-devices-provisioning.net`;
  const HUBS = ["hub-a.azure-devices.net", "hub-b.azure-devices.net"];
  const ID = `/subscriptions/${SUBSCRIPTION}/resourceGroups/${RG}/providers/Microsoft.Devices/provisioningServices/${DPS}`;
  const EXPECTED: AzureDpsConnection = {
    connectionString: `HostName=${DPS_HOST};SharedAccessKeyName=provisioningserviceowner;SharedAccessKey=${OWNER_KEY}`,
    linkedHubs: HUBS,
  };

  before(async () => {
    await pulumi.runtime.setMocks(mocks, "dps-enrollments-azure", "test", false);
    mocks.addDps(RG, DPS, HUBS);
  });

  it("ResourceSet ({ resourceGroupName, dpsName }): host name, first EnrollmentWrite policy, linked hubs", async () => {
    const output = dpsConnection({ resourceGroupName: RG, dpsName: DPS });
    assert.equal(await pulumi.isSecret(output), true);
    assert.deepEqual(await valueOf(output), EXPECTED);
  });

  it("ResourceSet with Outputs for the names", async () => {
    const output = dpsConnection({ resourceGroupName: pulumi.output(RG), dpsName: pulumi.output(DPS) });
    assert.deepEqual(await valueOf(output), EXPECTED);
  });

  it("InputObjectSet with a DPS description (e.g. getIotDpsResourceOutput's)", async () => {
    const description = mocks.dpsByName.get(`${RG}/${DPS}`.toLowerCase()) as unknown as DpsDescription;
    const output = dpsConnectionFromResource(description, RG);
    assert.equal(await pulumi.isSecret(output), true);
    assert.deepEqual(await valueOf(output), EXPECTED);
  });

  it("ResourceIdSet, plain or Output, keywords case-insensitive", async () => {
    assert.deepEqual(await valueOf(dpsConnectionFromResourceId(ID)), EXPECTED);
    const fromOutput = dpsConnectionFromResourceId(pulumi.output(ID));
    assert.equal(await pulumi.isSecret(fromOutput), true);
    assert.deepEqual(await valueOf(fromOutput), EXPECTED);
    const shouting = ID.replace("/subscriptions/", "/SUBSCRIPTIONS/")
      .replace("resourceGroups", "resourcegroups")
      .replace("Microsoft.Devices/provisioningServices", "MICROSOFT.DEVICES/ProvisioningServices");
    assert.deepEqual(await valueOf(dpsConnectionFromResourceId(shouting)), EXPECTED);
  });

  it('Entra: { hostName, credential: "default" } and linked hubs, not secret, no key lookup', async () => {
    const before = mocks.callsOf("azure-native:deviceprovisioningservices:listIotDpsResourceKeys").length;
    const expected: AzureDpsConnection = { hostName: DPS_HOST, credential: "default", linkedHubs: HUBS };
    for (const output of [
      dpsConnection({ resourceGroupName: RG, dpsName: DPS }, { auth: "entra" }),
      dpsConnectionFromResourceId(ID, { auth: "entra" }),
    ]) {
      assert.equal(await pulumi.isSecret(output), false);
      assert.deepEqual(await valueOf(output), expected);
    }
    assert.equal(
      mocks.callsOf("azure-native:deviceprovisioningservices:listIotDpsResourceKeys").length,
      before,
    );
  });

  it("a DPS without an EnrollmentWrite policy fails with the cmdlet's message", async () => {
    const message = "Missing shared access policy for EnrollmentWrite permission.";
    await assert.rejects(valueOf(dpsConnection({ resourceGroupName: "other-rg", dpsName: NO_WRITE_DPS })), {
      message,
    });
    const id = ID.replace(RG, "other-rg").replace(DPS, NO_WRITE_DPS);
    await assert.rejects(valueOf(dpsConnectionFromResourceId(id)), { message });
  });

  it("a malformed resource id fails clearly: a plain one at once, an Output one when it resolves", async () => {
    const hubId = ID.replace("provisioningServices", "IotHubs");
    assert.throws(
      () => dpsConnectionFromResourceId(hubId),
      (err: Error) => {
        assert.match(
          err.message,
          /^Invalid DPS resource id .*"IotHubs" where "provisioningServices" belongs/,
        );
        assert.ok(err.message.includes(DPS_RESOURCE_ID_SHAPE));
        return true;
      },
    );
    await assert.rejects(
      valueOf(dpsConnectionFromResourceId(pulumi.output("my-dps"))),
      /Invalid DPS resource id "my-dps"/,
    );
  });

  it("a resource id in another subscription than the provider's is an error, not another DPS", async () => {
    const id = ID.replace(SUBSCRIPTION, "99999999-0000-0000-0000-000000000000");
    await assert.rejects(
      valueOf(dpsConnectionFromResourceId(id)),
      /names subscription 99999999-.*invokeOptions/,
    );
  });

  it("unknown auth is rejected", () => {
    const opts = { auth: "password" } as unknown as DpsConnectionOptions;
    assert.throws(
      () => dpsConnection({ resourceGroupName: RG, dpsName: DPS }, opts),
      /Unknown auth "password"/,
    );
  });
});
