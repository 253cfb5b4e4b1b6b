import assert from "node:assert/strict";
import type { ProvisioningServiceClient } from "azure-iot-provisioning-service";
import type { EmulatorHandle } from "../../emulator";
import { KEY_A, clientFor, expectDpsError, expectRawError, putEnrollment, raw, start } from "./helpers";

const sym = { type: "symmetricKey" };

describe("emulator: validation answers 400 like the service", () => {
  let emu: EmulatorHandle;
  let client: ProvisioningServiceClient;

  before(async () => {
    emu = await start();
    client = clientFor(emu);
  });
  after(() => emu.stop());

  const cases: Array<[string, object, RegExp]> = [
    ["attestation missing", { registrationId: "v-1" }, /'attestation' is required/],
    [
      "attestation type none",
      { registrationId: "v-1b", attestation: { type: "none" } },
      /'attestation.type' must be one of tpm, x509, symmetricKey/,
    ],
    [
      "unknown attestation type",
      { registrationId: "v-2", attestation: { type: "password" } },
      /'attestation.type' must be one of/,
    ],
    [
      "tpm without endorsementKey",
      { registrationId: "v-3", attestation: { type: "tpm", tpm: {} } },
      /'attestation.tpm.endorsementKey' is required/,
    ],
    [
      "x509 without certificate or CA reference",
      { registrationId: "v-4", attestation: { type: "x509", x509: {} } },
      /clientCertificates.primary' or 'attestation.x509.caReferences.primary' is required/,
    ],
    [
      "x509 certificate that is an empty string",
      {
        registrationId: "v-5",
        attestation: { type: "x509", x509: { clientCertificates: { primary: { certificate: "" } } } },
      },
      /clientCertificates.primary.certificate' is required/,
    ],
    [
      "x509 signing certificates (groups only)",
      {
        registrationId: "v-6",
        attestation: { type: "x509", x509: { signingCertificates: { primary: { certificate: "x" } } } },
      },
      /only valid for enrollment groups/,
    ],
    [
      "x509 client certificate text that is not a certificate",
      {
        registrationId: "v-5b",
        attestation: {
          type: "x509",
          x509: {
            clientCertificates: {
              primary: {
                certificate: "-----BEGIN CERTIFICATE-----\nMIIBnotacert\n-----END CERTIFICATE-----\n",
              },
            },
          },
        },
      },
      /'attestation.x509.clientCertificates.primary.certificate' is not an X.509 certificate/,
    ],
    [
      "x509 client certificates: truncated DER, and base64 of something else",
      {
        registrationId: "v-5c",
        attestation: {
          type: "x509",
          x509: {
            clientCertificates: {
              primary: { certificate: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n" },
              secondary: { certificate: Buffer.from("not a certificate").toString("base64") },
            },
          },
        },
      },
      /clientCertificates.primary.certificate' is not an X.509 certificate/,
    ],
    [
      "tpm endorsement key that is not base64",
      { registrationId: "v-3b", attestation: { type: "tpm", tpm: { endorsementKey: "not base64!" } } },
      /'attestation.tpm.endorsementKey' is not a valid TPM endorsement key \(it is not base64\)/,
    ],
    [
      "tpm endorsement key that is truncated",
      { registrationId: "v-3c", attestation: { type: "tpm", tpm: { endorsementKey: "AToAAQALAAMAsgAg" } } },
      /'attestation.tpm.endorsementKey' is not a valid TPM endorsement key \(it is truncated\)/,
    ],
    [
      "tpm endorsement key of another type",
      {
        registrationId: "v-3d",
        attestation: {
          type: "tpm",
          tpm: { endorsementKey: Buffer.from([0, 4, 0, 8, 0, 11]).toString("base64") },
        },
      },
      /not a valid TPM endorsement key \(the key type is neither RSA nor ECC\)/,
    ],
    [
      "only one symmetric key",
      { registrationId: "v-7", attestation: { type: "symmetricKey", symmetricKey: { primaryKey: KEY_A } } },
      /Give both 'attestation.symmetricKey.primaryKey' and 'secondaryKey'/,
    ],
    [
      "a symmetric key that is not base64 of 16-64 bytes",
      {
        registrationId: "v-8",
        attestation: { type: "symmetricKey", symmetricKey: { primaryKey: "short", secondaryKey: KEY_A } },
      },
      /must be base64 of 16 to 64 bytes/,
    ],
    [
      "a hub that is not linked",
      { registrationId: "v-9", attestation: sym, iotHubs: ["other.azure-devices.net"] },
      /'other.azure-devices.net' is not linked/,
    ],
    [
      "a legacy iotHubHostName that is not linked",
      { registrationId: "v-10", attestation: sym, iotHubHostName: "other.azure-devices.net" },
      /iotHubHostName.*not linked/,
    ],
    [
      "static with two hubs",
      {
        registrationId: "v-12",
        attestation: sym,
        allocationPolicy: "static",
        iotHubs: ["hub1.azure-devices.net", "hub2.azure-devices.net"],
      },
      /At most one IoT hub/,
    ],
    [
      "custom without definition",
      { registrationId: "v-13", attestation: sym, allocationPolicy: "custom" },
      /'customAllocationDefinition' is required/,
    ],
    [
      "custom without apiVersion",
      {
        registrationId: "v-14",
        attestation: sym,
        allocationPolicy: "custom",
        customAllocationDefinition: { webhookUrl: "https://f.example/api" },
      },
      /customAllocationDefinition.apiVersion' is required/,
    ],
    [
      "custom without webhookUrl",
      {
        registrationId: "v-15",
        attestation: sym,
        allocationPolicy: "custom",
        customAllocationDefinition: { apiVersion: "2021-10-01" },
      },
      /customAllocationDefinition.webhookUrl' is required/,
    ],
    [
      "custom definition with another policy",
      {
        registrationId: "v-16",
        attestation: sym,
        allocationPolicy: "hashed",
        customAllocationDefinition: { webhookUrl: "https://f.example", apiVersion: "1" },
      },
      /only allowed when 'allocationPolicy' is custom/,
    ],
    [
      "unknown allocation policy",
      { registrationId: "v-17", attestation: sym, allocationPolicy: "random" },
      /'allocationPolicy' must be one of/,
    ],
    [
      "bad provisioningStatus",
      { registrationId: "v-18", attestation: sym, provisioningStatus: "on" },
      /'provisioningStatus' must be 'enabled' or 'disabled'/,
    ],
    [
      "non-boolean iotEdge",
      { registrationId: "v-19", attestation: sym, capabilities: { iotEdge: "yes" } },
      /'capabilities.iotEdge' must be a boolean/,
    ],
    [
      "non-boolean reprovision flag",
      { registrationId: "v-20", attestation: sym, reprovisionPolicy: { migrateDeviceData: 1 } },
      /migrateDeviceData' must be a boolean/,
    ],
    [
      "initialTwin tags not an object",
      { registrationId: "v-21", attestation: sym, initialTwin: { tags: [1] } },
      /'initialTwin.tags' must be an object/,
    ],
    [
      "iotHubs not an array of strings",
      { registrationId: "v-22", attestation: sym, iotHubs: "hub1.azure-devices.net" },
      /'iotHubs' must be an array/,
    ],
    [
      "a deviceId over 128 characters",
      { registrationId: "v-23", attestation: sym, deviceId: "d".repeat(129) },
      /'deviceId' must be 1 to 128/,
    ],
  ];
  for (const [name, body, message] of cases) {
    it(`rejects ${name}`, async () => {
      await expectDpsError(putEnrollment(client, body), 400, 400004, message);
    });
  }

  const badIds = ["-leading", "trailing.", "has space", "x".repeat(129), "semi;colon", "ünïcode"];
  for (const id of badIds) {
    it(`rejects the registration id ${JSON.stringify(id.length > 20 ? `${id.slice(0, 10)}...(${id.length})` : id)}`, async () => {
      await expectDpsError(
        putEnrollment(client, { registrationId: id, attestation: sym }),
        400,
        400005,
        /registration id .* is invalid/,
      );
    });
  }

  it("accepts ids of 128 characters with : . _ - inside", async () => {
    const id = `a:b.c_d-${"e".repeat(120)}`;
    assert.equal(id.length, 128);
    const created = await putEnrollment(client, { registrationId: id, attestation: sym });
    assert.equal(created.registrationId, id);
  });

  it("rejects a body id that differs from the path id", async () => {
    const res = await raw(emu, "/enrollments/path-id?api-version=2021-10-01", {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ registrationId: "body-id", attestation: sym }),
    });
    expectRawError(res, 400, 400005, /does not match the one in the path/);
  });

  it("answers 400 without api-version or with another one, for every route", async () => {
    for (const [method, path] of [
      ["GET", "/enrollments/x"],
      ["PUT", "/enrollments/x"],
      ["DELETE", "/enrollments/x"],
      ["POST", "/enrollments/x/attestationmechanism"],
      ["POST", "/enrollments"],
      ["POST", "/enrollments/query"],
    ]) {
      expectRawError(
        await raw(emu, path, { method, body: "{}" }),
        400,
        400001,
        /api-version query parameter is required/,
      );
    }
    expectRawError(
      await raw(emu, "/enrollments/x?api-version=2019-03-31"),
      400,
      400001,
      /'2019-03-31' is not supported/,
    );
  });

  it("answers 400 to a body that is not JSON, empty, or not an object", async () => {
    const path = "/enrollments/json-test?api-version=2021-10-01";
    expectRawError(await raw(emu, path, { method: "PUT", body: "{not json" }), 400, 400002, /not valid JSON/);
    expectRawError(await raw(emu, path, { method: "PUT", body: "" }), 400, 400002, /body is required/);
    expectRawError(
      await raw(emu, path, { method: "PUT", body: "[1,2]" }),
      400,
      400002,
      /must be a JSON object/,
    );
  });

  it("answers 413 to a body over 256 KB and keeps serving", async () => {
    const body = JSON.stringify({ registrationId: "big", attestation: sym, pad: "x".repeat(300 * 1024) });
    expectRawError(
      await raw(emu, "/enrollments/big?api-version=2021-10-01", { method: "PUT", body }),
      413,
      413001,
      /exceeds the limit of 262144 bytes/,
    );
    const after = await putEnrollment(client, { registrationId: "after-big", attestation: sym });
    assert.equal(after.registrationId, "after-big");
  });

  it("answers 404 to unknown routes and 405 to unknown methods", async () => {
    expectRawError(await raw(emu, "/deviceRegistrations/x?api-version=2021-10-01"), 404, 404001);
    expectRawError(
      await raw(emu, "/enrollments/x?api-version=2021-10-01", { method: "PATCH", body: "{}" }),
      405,
      405001,
    );
  });
});
