/**
 * Every `check` rule through the real dynamic-provider gRPC server: what a user sees at preview time,
 * before any service call (there is no DPS behind these connections at all).
 */
import { strict as assert } from "assert";
import { DynamicProviderServer, type Props } from "../support/dynamicProvider";
import { CMDLET_MESSAGES, UNKNOWN } from "../../provider/core/checks";

const KEY = Buffer.alloc(32, 7).toString("base64");
const connection = {
  connectionString: `HostName=mydps.azure-devices-provisioning.net;SharedAccessKeyName=owner;SharedAccessKey=${KEY}`,
};
const base: Props = { connection, registrationId: "enroll1", attestation: { type: "symmetricKey" } };

/** [title, inputs, property expected to fail, text the reason must contain] */
const FAILING: [string, Props, string, string | RegExp][] = [
  ["registrationId is required", { ...base, registrationId: undefined }, "registrationId", "required"],
  [
    "registrationId with a bad character",
    { ...base, registrationId: "bad id!" },
    "registrationId",
    "letters, digits",
  ],
  [
    "registrationId starting with a special character",
    { ...base, registrationId: "-abc" },
    "registrationId",
    "starting and ending",
  ],
  [
    "registrationId over 128 characters",
    { ...base, registrationId: "a".repeat(129) },
    "registrationId",
    "1 to 128",
  ],
  ["connection is required", { ...base, connection: undefined }, "connection", "required"],
  [
    "connection string without a key",
    { ...base, connection: { connectionString: "HostName=x.azure-devices-provisioning.net" } },
    "connection.connectionString",
    "SharedAccessKeyName, SharedAccessKey",
  ],
  [
    "host name without credential",
    { ...base, connection: { hostName: "x.azure-devices-provisioning.net" } },
    "connection.credential",
    'credential: "default"',
  ],
  [
    "unknown credential kind",
    { ...base, connection: { hostName: "x.azure-devices-provisioning.net", credential: "cli" } },
    "connection.credential",
    '"default"',
  ],
  [
    "endpoint not https",
    { ...base, connection: { ...connection, endpoint: "http://127.0.0.1:1" } },
    "connection.endpoint",
    "https://",
  ],
  ["attestation is required", { ...base, attestation: undefined }, "attestation", "required"],
  [
    "unknown attestation type",
    { ...base, attestation: { type: "password" } },
    "attestation.type",
    '"symmetricKey", "tpm" or "x509"',
  ],
  [
    "only one symmetric key",
    { ...base, attestation: { type: "symmetricKey", primaryKey: KEY } },
    "attestation.secondaryKey",
    "both primaryKey and secondaryKey, or neither",
  ],
  [
    "symmetric key not base64",
    { ...base, attestation: { type: "symmetricKey", primaryKey: "not base64!", secondaryKey: KEY } },
    "attestation.primaryKey",
    "base64 of 16 to 64 bytes",
  ],
  [
    "symmetric key too short",
    { ...base, attestation: { type: "symmetricKey", primaryKey: "AAAA", secondaryKey: KEY } },
    "attestation.primaryKey",
    "16 to 64 bytes",
  ],
  [
    "TPM without endorsement key",
    { ...base, attestation: { type: "tpm" } },
    "attestation.endorsementKey",
    "endorsementKey",
  ],
  [
    "a TPM field on a symmetric key",
    { ...base, attestation: { type: "symmetricKey", endorsementKey: "x" } },
    "attestation.endorsementKey",
    "does not apply",
  ],
  [
    "X.509 with certificate and CA name",
    { ...base, attestation: { type: "x509", primaryCertificate: "c", primaryCaName: "ca" } },
    "attestation",
    "not both",
  ],
  [
    "X.509 with nothing",
    { ...base, attestation: { type: "x509" } },
    "attestation.primaryCertificate",
    "primaryCertificate",
  ],
  [
    "X.509 secondary CA without primary",
    { ...base, attestation: { type: "x509", secondaryCaName: "ca" } },
    "attestation.primaryCaName",
    "primaryCaName",
  ],
  [
    "X.509 root certificate on an individual enrollment",
    { ...base, attestation: { type: "x509", primaryCertificate: "c", rootCertificate: true } },
    "attestation.rootCertificate",
    "enrollment groups",
  ],
  [
    "bad provisioning status",
    { ...base, provisioningStatus: "on" },
    "provisioningStatus",
    "Enabled, Disabled",
  ],
  [
    "bad reprovision policy",
    { ...base, reprovisionPolicy: "always" },
    "reprovisionPolicy",
    "reprovisionandmigratedata",
  ],
  [
    "bad allocation policy",
    { ...base, allocationPolicy: "random" },
    "allocationPolicy",
    "Hashed, GeoLatency, Static, Custom",
  ],
  ["edgeEnabled not a boolean", { ...base, edgeEnabled: "yes" }, "edgeEnabled", "true or false"],
  ["bad device id", { ...base, deviceId: "has space" }, "deviceId", "deviceId"],
  ["tags not an object", { ...base, tags: "env=prod" }, "tags", "object of JSON values"],
  ["tags too large", { ...base, tags: { big: "x".repeat(9000) } }, "tags", "at most 8192"],
  [
    "desired too deep",
    { ...base, desired: { a: { b: { c: { d: { e: { f: { g: { h: { i: { j: { k: 1 } } } } } } } } } } } },
    "desired",
    "deeper than 10",
  ],
  [
    "IotHubHostName with AllocationPolicy",
    {
      ...base,
      iotHubHostName: "hub1.azure-devices.net",
      allocationPolicy: "Hashed",
      iotHubs: ["hub1.azure-devices.net"],
    },
    "iotHubHostName",
    CMDLET_MESSAGES.hostNameWithPolicy,
  ],
  [
    "IotHubHostName with IotHub",
    { ...base, iotHubHostName: "hub1.azure-devices.net", iotHubs: ["hub1.azure-devices.net"] },
    "iotHubHostName",
    CMDLET_MESSAGES.hostNameWithHubs,
  ],
  [
    "IotHub without a policy",
    { ...base, iotHubs: ["hub1.azure-devices.net"] },
    "iotHubs",
    CMDLET_MESSAGES.hubNeedsPolicy,
  ],
  [
    "Static with two hubs",
    { ...base, allocationPolicy: "static", iotHubs: ["hub1.azure-devices.net", "hub2.azure-devices.net"] },
    "iotHubs",
    CMDLET_MESSAGES.staticOneHub,
  ],
  [
    "Custom without webhookUrl",
    { ...base, allocationPolicy: "Custom", apiVersion: "2021-10-01" },
    "webhookUrl",
    CMDLET_MESSAGES.customUrl,
  ],
  [
    "Custom without apiVersion",
    { ...base, allocationPolicy: "Custom", webhookUrl: "https://f.example/api" },
    "apiVersion",
    CMDLET_MESSAGES.customApiVersion,
  ],
  [
    "webhookUrl without Custom",
    {
      ...base,
      allocationPolicy: "Hashed",
      iotHubs: ["hub1.azure-devices.net"],
      webhookUrl: "https://f.example/api",
    },
    "webhookUrl",
    "only when allocationPolicy is Custom",
  ],
  [
    "webhookUrl not https",
    { ...base, allocationPolicy: "Custom", webhookUrl: "ftp://x", apiVersion: "1" },
    "webhookUrl",
    "https://",
  ],
  [
    "hub not a host name",
    { ...base, allocationPolicy: "Hashed", iotHubs: ["not a host"] },
    "iotHubs",
    "host names",
  ],
  [
    "hub not linked to the DPS",
    {
      ...base,
      connection: { ...connection, linkedHubs: ["hub1.azure-devices.net"] },
      allocationPolicy: "Hashed",
      iotHubs: ["hub9.azure-devices.net"],
    },
    "iotHubs",
    /not linked.*linked hubs: hub1\.azure-devices\.net/,
  ],
  [
    "legacy hub not linked to the DPS",
    {
      ...base,
      connection: { ...connection, linkedHubs: ["hub1.azure-devices.net"] },
      iotHubHostName: "hub9.azure-devices.net",
    },
    "iotHubHostName",
    "not linked",
  ],
  ["an unknown property", { ...base, colour: "blue" }, "colour", "not a property"],
  [
    "an ADR policy named without its certificate authority",
    { ...base, namespaceName: "factory-ns", certificatePolicyName: "devices" },
    "certificateAuthorityName",
    "certificateAuthorityName is missing: an Azure Device Registry certificate policy is named by namespaceName, certificateAuthorityName and certificatePolicyName together. Set certificateAuthorityName, or remove namespaceName and certificatePolicyName.",
  ],
  [
    "an ADR namespace alone",
    { ...base, namespaceName: "factory-ns" },
    "certificatePolicyName",
    "Set certificatePolicyName, or remove namespaceName",
  ],
  [
    "an ADR namespace with capitals",
    { ...base, namespaceName: "Factory", certificateAuthorityName: "ca1", certificatePolicyName: "devices" },
    "namespaceName",
    "3 to 64 lowercase letters, digits and hyphens",
  ],
  [
    "an ADR policy name too short",
    { ...base, namespaceName: "factory", certificateAuthorityName: "ca1", certificatePolicyName: "p" },
    "certificatePolicyName",
    'certificatePolicyName "p" is not an Azure Device Registry name',
  ],
  [
    "an ADR certificate authority starting with a hyphen",
    { ...base, namespaceName: "factory", certificateAuthorityName: "-ca", certificatePolicyName: "devices" },
    "certificateAuthorityName",
    "starting with a letter or digit",
  ],
];

describe("check (gRPC server): bad input fails at preview time, naming the property", function () {
  this.timeout(30_000);
  let server: DynamicProviderServer;
  before(async () => (server = await DynamicProviderServer.start()));
  after(async () => server?.stop());

  for (const [title, inputs, property, reason] of FAILING) {
    it(`rejects ${title}`, async () => {
      const { failures } = await server.check({}, inputs);
      const hit = failures.find((f) => f.property === property);
      assert.ok(hit, `expected a failure on ${property}, got ${JSON.stringify(failures)}`);
      if (typeof reason === "string")
        assert.ok(hit.reason.includes(reason), `reason "${hit.reason}" lacks "${reason}"`);
      else assert.match(hit.reason, reason);
    });
  }

  it("accepts enums in any case and returns the cmdlet's spelling", async () => {
    const { failures, inputs } = await server.check(
      {},
      {
        ...base,
        attestation: { type: "SYMMETRICKEY" },
        provisioningStatus: "DISABLED",
        reprovisionPolicy: "ReprovisionAndMigrateData",
        allocationPolicy: "geolatency",
        iotHubs: ["hub1.azure-devices.net"],
      },
    );
    assert.deepEqual(failures, []);
    assert.equal((inputs.attestation as Props).type, "symmetricKey");
    assert.equal(inputs.provisioningStatus, "Disabled");
    assert.equal(inputs.reprovisionPolicy, "reprovisionandmigratedata");
    assert.equal(inputs.allocationPolicy, "GeoLatency");
  });

  it("accepts every valid form", async () => {
    const valid: Props[] = [
      base,
      { ...base, attestation: { type: "symmetricKey", primaryKey: KEY, secondaryKey: KEY } },
      { ...base, attestation: { type: "tpm", endorsementKey: KEY, storageRootKey: KEY } },
      { ...base, attestation: { type: "x509", primaryCertificate: "PEM", secondaryCertificate: "PEM2" } },
      { ...base, attestation: { type: "x509", primaryCaName: "root", secondaryCaName: "root2" } },
      { ...base, allocationPolicy: "Static", iotHubs: ["hub1.azure-devices.net"] },
      // The service accepts static without hubs (the device gets the linked hub); only the cmdlet refuses it.
      { ...base, allocationPolicy: "Static" },
      { ...base, allocationPolicy: "Static", iotHubs: [] },
      {
        ...base,
        allocationPolicy: "Custom",
        webhookUrl: "https://f.example/api",
        apiVersion: "2021-10-01",
        iotHubs: ["hub1.azure-devices.net"],
      },
      { ...base, iotHubHostName: "hub1.azure-devices.net" },
      {
        ...base,
        namespaceName: "factory-ns",
        certificateAuthorityName: "Ca-1",
        certificatePolicyName: "devices",
      },
      { ...base, connection: { hostName: "x.azure-devices-provisioning.net", credential: "default" } },
      {
        ...base,
        tags: { env: "prod", n: 1, nested: { ok: true } },
        desired: { v: [1, 2] },
        optionalDeviceInformation: { rack: "7" },
      },
    ];
    for (const inputs of valid)
      assert.deepEqual((await server.check({}, inputs)).failures, [], JSON.stringify(inputs));
  });

  it("does not report values that are unknown during preview", async () => {
    const { failures } = await server.check(
      {},
      {
        connection: UNKNOWN,
        registrationId: UNKNOWN,
        attestation: { type: "symmetricKey" },
        allocationPolicy: "Static",
        iotHubs: UNKNOWN,
        tags: UNKNOWN,
        namespaceName: UNKNOWN,
        certificateAuthorityName: UNKNOWN,
        certificatePolicyName: "devices",
      },
    );
    assert.deepEqual(failures, []);
  });
});
