import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import type { ProvisioningServiceClient } from "azure-iot-provisioning-service";
import type { EmulatorHandle } from "../../emulator";
import { issueCertificate } from "../../emulator/tls";
import { adminAuth, clientFor, expectDpsError, KEY_A, KEY_B, putEnrollment, raw, start } from "./helpers";

/** A real TPM 2.0 endorsement key (TPM2B_PUBLIC, RSA 2048), base64. */
const TPM_EK =
  "AToAAQALAAMAsgAgg3GXZ0SEs/gakMyNRqXXJP1S124GUgtk8qHaGzMUaaoABgCAAEMAEAgAAAAAAAEAxsj2gUScTk1UjuioeTlfGYZrrimExB+bScH75adUMRIi2UOMxG1kw4y+9RW/IVoMl4e620VxZad0ARX2gUqVjYO7KPVt3dyKhZS3dkcvfBisBhP1XH9B33VqHG9SHnbnQXdBUaCgKAfxome8UmBKfe+naTsE5fkvjb/do3/dD6l4sGBwFCnKRdln4XpM03zLpoHFao8zOwt8l/uP3qUIxmCYv9A7m69Ms+5/pCkTu/rK4mRDsfhZ0QLfbzVI6zQFOKF/rwsfBtFeWlWtcuJMKlXdD8TXWElTzgh7JS4qhFzreL0c1mI0GCj+Aws0usZh7dLIVPnlgZcBhgy1SSDQMQ==";

describe("emulator: single enrollments through the official client", () => {
  let emu: EmulatorHandle;
  let client: ProvisioningServiceClient;

  before(async () => {
    emu = await start();
    client = clientFor(emu);
  });
  after(() => emu.stop());

  it("as recorded: fills in no defaults, answers a PUT with the generated keys, a GET without symmetricKey", async () => {
    const created = await putEnrollment(client, {
      registrationId: "dev-defaults",
      attestation: { type: "symmetricKey" },
    });
    const keys = created.attestation.symmetricKey;
    assert.equal(Buffer.from(keys?.primaryKey ?? "", "base64").length, 64);
    assert.equal(Buffer.from(keys?.secondaryKey ?? "", "base64").length, 64);
    assert.notEqual(keys?.primaryKey, keys?.secondaryKey);
    assert.equal(created.capabilities, undefined);
    assert.equal(created.reprovisionPolicy, undefined);
    assert.equal(created.provisioningStatus, null);
    // Base64 of a quoted string, like "IjBhMDBiNzQyLTAwMDAtMDgwMC0wMDAwLTY0NjgwMWY1MDAwMCI=".
    assert.match(
      Buffer.from(created.etag, "base64").toString(),
      /^"[0-9a-f]{8}-0000-0800-0000-[0-9a-f]{12}"$/,
    );
    assert.ok(created.createdDateTimeUtc);
    assert.equal(created.lastUpdatedDateTimeUtc, created.createdDateTimeUtc);

    const got = (await client.getIndividualEnrollment("dev-defaults")).responseBody;
    assert.deepEqual(got.attestation, { type: "symmetricKey" });
    assert.deepEqual(got.registrationState, { registrationId: "dev-defaults", status: "unassigned" });
    assert.equal(got.etag, created.etag);

    const mech = (await client.getIndividualEnrollmentAttestationMechanism("dev-defaults")).responseBody;
    assert.deepEqual(mech, { type: "symmetricKey", symmetricKey: keys });
  });

  it("echoes what was sent: null provisioningStatus, given capabilities and reprovisionPolicy", async () => {
    const created = await putEnrollment(client, {
      registrationId: "dev-echo",
      attestation: { type: "symmetricKey", symmetricKey: { primaryKey: KEY_A, secondaryKey: KEY_B } },
      capabilities: { iotEdge: true },
      reprovisionPolicy: { updateHubAssignment: false, migrateDeviceData: true },
      provisioningStatus: "disabled",
    });
    assert.deepEqual(created.attestation.symmetricKey, { primaryKey: KEY_A, secondaryKey: KEY_B });
    assert.deepEqual(created.capabilities, { iotEdge: true });
    assert.deepEqual(created.reprovisionPolicy, { updateHubAssignment: false, migrateDeviceData: true });
    assert.equal(created.provisioningStatus, "disabled");
    const updated = (
      await client.createOrUpdateIndividualEnrollment({
        ...created,
        provisioningStatus: null as unknown as "enabled",
      })
    ).responseBody;
    assert.equal(updated.provisioningStatus, null);
    assert.equal(updated.createdDateTimeUtc, created.createdDateTimeUtc);
    assert.notEqual(updated.etag, created.etag);
  });

  it("keeps given keys, and loses them when a read-modify-write PUT sends the hidden (empty) keys back", async () => {
    await putEnrollment(client, {
      registrationId: "dev-keys",
      attestation: { type: "symmetricKey", symmetricKey: { primaryKey: KEY_A, secondaryKey: KEY_B } },
    });
    let mech = (await client.getIndividualEnrollmentAttestationMechanism("dev-keys")).responseBody;
    assert.deepEqual(mech.symmetricKey, { primaryKey: KEY_A, secondaryKey: KEY_B });

    const got = (await client.getIndividualEnrollment("dev-keys")).responseBody;
    await client.createOrUpdateIndividualEnrollment(got); // etag from GET goes as If-Match
    mech = (await client.getIndividualEnrollmentAttestationMechanism("dev-keys")).responseBody;
    assert.notEqual(mech.symmetricKey?.primaryKey, KEY_A, "keys are regenerated, as the service does");
  });

  it("returns tpm attestations as stored, x509 ones as certificate info", async () => {
    const tpm = await putEnrollment(client, {
      registrationId: "dev-tpm",
      attestation: { type: "tpm", tpm: { endorsementKey: TPM_EK } },
    });
    assert.deepEqual(tpm.attestation, { type: "tpm", tpm: { endorsementKey: TPM_EK } });
    const device = await issueCertificate({ commonName: "dev-x509" });
    const parsed = new X509Certificate(device.certificatePem);
    const x509 = await putEnrollment(client, {
      registrationId: "dev-x509",
      attestation: {
        type: "x509",
        x509: { clientCertificates: { primary: { certificate: device.certificatePem } } },
      },
    });
    // As recorded: answers carry the certificate's info, never its PEM.
    assert.deepEqual(x509.attestation, {
      type: "x509",
      x509: {
        clientCertificates: {
          primary: {
            info: {
              subjectName: "CN=dev-x509",
              sha1Thumbprint: parsed.fingerprint.replace(/:/g, ""),
              sha256Thumbprint: parsed.fingerprint256.replace(/:/g, ""),
              issuerName: "CN=dev-x509",
              notBeforeUtc: new Date(parsed.validFrom).toISOString(),
              notAfterUtc: new Date(parsed.validTo).toISOString(),
              serialNumber: parsed.serialNumber,
              version: 3,
            },
          },
        },
      },
    });
    const ca = await putEnrollment(client, {
      registrationId: "dev-x509-ca",
      attestation: { type: "x509", x509: { caReferences: { primary: "my-ca" } } },
    });
    assert.deepEqual(ca.attestation, { type: "x509", x509: { caReferences: { primary: "my-ca" } } });
  });

  it("stores every writable field and ignores client-sent read-only fields", async () => {
    const body = {
      registrationId: "dev-full",
      deviceId: "device-full",
      attestation: { type: "symmetricKey" },
      capabilities: { iotEdge: true },
      initialTwin: { tags: { env: "test" }, properties: { desired: { interval: 5 } } },
      provisioningStatus: "disabled",
      reprovisionPolicy: { updateHubAssignment: true, migrateDeviceData: false },
      allocationPolicy: "hashed",
      iotHubs: ["hub1.azure-devices.net", "hub2.azure-devices.net"],
      optionalDeviceInformation: { model: "x" },
      createdDateTimeUtc: "2000-01-01T00:00:00Z",
      lastUpdatedDateTimeUtc: "2000-01-01T00:00:00Z",
      registrationState: { status: "assigned" },
      unknownField: 1,
    };
    const created = await putEnrollment(client, body);
    assert.equal(created.deviceId, "device-full");
    assert.deepEqual(created.capabilities, { iotEdge: true });
    assert.deepEqual(created.initialTwin, body.initialTwin);
    assert.equal(created.provisioningStatus, "disabled");
    assert.deepEqual(created.reprovisionPolicy, body.reprovisionPolicy);
    assert.equal(created.allocationPolicy, "hashed");
    assert.deepEqual(created.iotHubs, body.iotHubs);
    assert.notEqual(created.createdDateTimeUtc, body.createdDateTimeUtc);
    assert.equal(created.registrationState, undefined);
    assert.equal((created as unknown as Record<string, unknown>).unknownField, undefined);
  });

  it("updates with If-Match: new etag, created time kept, updated time advances", async () => {
    const created = await putEnrollment(client, {
      registrationId: "dev-update",
      attestation: { type: "symmetricKey" },
    });
    await new Promise((r) => setTimeout(r, 5));
    const updated = await putEnrollment(client, { ...created, provisioningStatus: "disabled" });
    assert.notEqual(updated.etag, created.etag);
    assert.equal(updated.createdDateTimeUtc, created.createdDateTimeUtc);
    assert.ok(
      Date.parse(String(updated.lastUpdatedDateTimeUtc)) > Date.parse(String(created.lastUpdatedDateTimeUtc)),
    );
    assert.equal(updated.provisioningStatus, "disabled");
    // "*" matches any existing enrollment.
    const star = await putEnrollment(client, { ...updated, etag: "*", provisioningStatus: "enabled" });
    assert.equal(star.provisioningStatus, "enabled");
    // Unquoted etags compare equal to quoted ones.
    const bare = await putEnrollment(client, { ...star, etag: String(star.etag).replace(/"/g, "") });
    assert.notEqual(bare.etag, star.etag);
  });

  it("409 on a PUT without If-Match over an existing enrollment", async () => {
    await putEnrollment(client, { registrationId: "dev-409", attestation: { type: "symmetricKey" } });
    await expectDpsError(
      putEnrollment(client, { registrationId: "dev-409", attestation: { type: "symmetricKey" } }),
      409,
      409201,
      /already exists; send If-Match/,
    );
  });

  it("412 on a mismatching If-Match (PUT and DELETE) and on If-Match for a missing enrollment", async () => {
    const created = await putEnrollment(client, {
      registrationId: "dev-412",
      attestation: { type: "symmetricKey" },
    });
    await putEnrollment(client, { ...created }); // changes the etag
    await expectDpsError(
      putEnrollment(client, { ...created }),
      412,
      412002,
      /does not match the current etag/,
    );
    await expectDpsError(client.deleteIndividualEnrollment("dev-412", String(created.etag)), 412, 412002);
    await expectDpsError(
      putEnrollment(client, {
        registrationId: "dev-412-missing",
        etag: "*",
        attestation: { type: "symmetricKey" },
      }),
      412,
      412002,
      /does not exist/,
    );
    await expectDpsError(
      putEnrollment(client, {
        registrationId: "dev-412-missing",
        etag: '"x"',
        attestation: { type: "symmetricKey" },
      }),
      412,
      412002,
    );
  });

  it("deletes (with and without etag), then 404 on GET, DELETE and attestationmechanism", async () => {
    const a = await putEnrollment(client, {
      registrationId: "dev-del-a",
      attestation: { type: "symmetricKey" },
    });
    await putEnrollment(client, { registrationId: "dev-del-b", attestation: { type: "symmetricKey" } });
    await client.deleteIndividualEnrollment("dev-del-a", String(a.etag));
    await client.deleteIndividualEnrollment("dev-del-b");
    await expectDpsError(
      client.getIndividualEnrollment("dev-del-a"),
      404,
      404201,
      /'dev-del-a' was not found/,
    );
    await expectDpsError(client.deleteIndividualEnrollment("dev-del-b"), 404, 404201);
    await expectDpsError(client.getIndividualEnrollmentAttestationMechanism("dev-del-b"), 404, 404201);
  });

  it("treats registration ids case-insensitively and keeps the first spelling", async () => {
    await putEnrollment(client, { registrationId: "Dev-Case", attestation: { type: "symmetricKey" } });
    const got = (await client.getIndividualEnrollment("DEV-CASE")).responseBody;
    assert.equal(got.registrationId, "Dev-Case");
    await expectDpsError(
      putEnrollment(client, { registrationId: "dev-case", attestation: { type: "symmetricKey" } }),
      409,
      409201,
    );
    const updated = await putEnrollment(client, { ...got, registrationId: "dev-case" });
    assert.equal(updated.registrationId, "Dev-Case");
  });

  it("shows a registration state set through the admin API, in GET and GET /registrations", async () => {
    await putEnrollment(client, {
      registrationId: "dev-registered",
      attestation: { type: "symmetricKey" },
      allocationPolicy: "static",
      iotHubs: ["hub2.azure-devices.net"],
    });
    await expectDpsError(client.getDeviceRegistrationState("dev-registered"), 404, 404202);
    const res = await raw(emu, "/_emulator/registrations/dev-registered", {
      method: "PUT",
      authorization: adminAuth(emu),
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ deviceId: "dev-registered-device" }),
    });
    assert.equal(res.status, 200, res.text);
    const got = (await client.getIndividualEnrollment("dev-registered")).responseBody;
    assert.equal(got.registrationState.assignedHub, "hub2.azure-devices.net");
    assert.equal(got.registrationState.deviceId, "dev-registered-device");
    assert.equal(got.registrationState.status, "assigned");
    const state = (await client.getDeviceRegistrationState("dev-registered")).responseBody;
    assert.equal(state.registrationId, "dev-registered");

    emu.setRegistrationState("dev-registered", { status: "failed" });
    assert.equal(
      (await client.getIndividualEnrollment("dev-registered")).responseBody.registrationState.status,
      "failed",
    );
    await client.deleteDeviceRegistrationState("dev-registered");
    assert.deepEqual(
      (await client.getIndividualEnrollment("dev-registered")).responseBody.registrationState,
      { registrationId: "dev-registered", status: "unassigned" },
    );

    const missing = await raw(emu, "/_emulator/registrations/nobody", {
      method: "PUT",
      authorization: adminAuth(emu),
      body: "{}",
    });
    assert.equal(missing.status, 404);
  });
});
