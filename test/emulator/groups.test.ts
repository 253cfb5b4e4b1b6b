// Enrollment groups in the emulator, through the official client (raw HTTPS only for the bulk route,
// which the Node client does not offer for groups).
import assert from "node:assert/strict";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ProvisioningServiceClient } from "azure-iot-provisioning-service";
import type { EnrollmentGroup } from "azure-iot-provisioning-service/dist/interfaces";
import type { EmulatorHandle } from "../../emulator";
import { createTlsMaterial } from "../../emulator/tls";
import {
  KEY_A,
  KEY_B,
  clientFor,
  connectionStringFor,
  expectDpsError,
  expectRawError,
  raw,
  start,
} from "./helpers";

function group(enrollmentGroupId: string, extra: object = {}): EnrollmentGroup {
  return { enrollmentGroupId, attestation: { type: "symmetricKey" }, ...extra } as EnrollmentGroup;
}

async function put(client: ProvisioningServiceClient, body: object): Promise<EnrollmentGroup> {
  return (await client.createOrUpdateEnrollmentGroup(body as EnrollmentGroup)).responseBody;
}

interface GroupBulkResult {
  isSuccessful: boolean;
  errors: { enrollmentGroupId: string | null; errorCode: number; errorStatus: string }[];
}

async function bulk(emu: EmulatorHandle, mode: string, enrollmentGroups: object[]): Promise<GroupBulkResult> {
  const res = await raw(emu, "/enrollmentGroups?api-version=2021-10-01", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ mode, enrollmentGroups }),
  });
  assert.equal(res.status, 200, res.text);
  return res.json() as GroupBulkResult;
}

describe("emulator: enrollment groups", () => {
  let emu: EmulatorHandle;
  let client: ProvisioningServiceClient;
  let caPem: string;
  let leafPem: string;

  before(async () => {
    emu = await start();
    client = clientFor(emu);
    const tls = await createTlsMaterial(["device.example"]);
    caPem = tls.caCertificatePem;
    leafPem = tls.certificatePem;
  });
  after(() => emu.stop());

  it("PUT answers with the generated keys, GET without symmetricKey; attestationmechanism returns them", async () => {
    const created = await put(client, group("grp-sym", { initialTwin: { tags: { site: "a" } } }));
    assert.equal(created.enrollmentGroupId, "grp-sym");
    assert.equal(Buffer.from(String(created.attestation.symmetricKey?.primaryKey), "base64").length, 64);
    assert.match(Buffer.from(String(created.etag), "base64").toString(), /^"[0-9a-f-]{36}"$/);
    const got = (await client.getEnrollmentGroup("grp-sym")).responseBody;
    assert.deepEqual(got.attestation, { type: "symmetricKey" });
    assert.deepEqual(got.initialTwin, { tags: { site: "a" } });
    assert.equal(got.etag, created.etag);
    const att = (await client.getEnrollmentGroupAttestationMechanism("grp-sym")).responseBody;
    assert.deepEqual(att.symmetricKey, created.attestation.symmetricKey);
    assert.notEqual(att.symmetricKey?.primaryKey, att.symmetricKey?.secondaryKey);
  });

  it("keeps given keys, and takes the service's shared fields (allocation, reprovisioning, capabilities)", async () => {
    await put(
      client,
      group("grp-given", {
        attestation: { type: "symmetricKey", symmetricKey: { primaryKey: KEY_A, secondaryKey: KEY_B } },
        allocationPolicy: "hashed",
        iotHubs: ["hub1.azure-devices.net", "hub2.azure-devices.net"],
        reprovisionPolicy: { updateHubAssignment: true, migrateDeviceData: false },
        capabilities: { iotEdge: true },
        provisioningStatus: "disabled",
      }),
    );
    const got = (await client.getEnrollmentGroup("grp-given")).responseBody;
    assert.equal(got.allocationPolicy, "hashed");
    assert.deepEqual(got.iotHubs, ["hub1.azure-devices.net", "hub2.azure-devices.net"]);
    assert.deepEqual(got.capabilities, { iotEdge: true });
    assert.equal(got.provisioningStatus, "disabled");
    const att = (await client.getEnrollmentGroupAttestationMechanism("grp-given")).responseBody;
    assert.deepEqual(att.symmetricKey, { primaryKey: KEY_A, secondaryKey: KEY_B });
  });

  it("409 on a create over an existing group, 412 on a stale etag, then updates with the right one", async () => {
    const first = (await client.getEnrollmentGroup("grp-sym")).responseBody;
    await expectDpsError(put(client, group("grp-sym")), 409, 409201, /already exists; send If-Match/);
    await expectDpsError(
      put(client, group("grp-sym", { etag: '"stale"' })),
      412,
      412002,
      /does not match the current etag/,
    );
    const updated = await put(client, group("grp-sym", { etag: first.etag, provisioningStatus: "disabled" }));
    assert.notEqual(updated.etag, first.etag);
    assert.equal(updated.createdDateTimeUtc, first.createdDateTimeUtc);
  });

  it("x509 signing certificates are parsed: info reported (not the PEM), non-certificates refused, non-CA ones accepted as recorded", async () => {
    const created = await put(
      client,
      group("grp-x509", {
        attestation: { type: "x509", x509: { signingCertificates: { primary: { certificate: caPem } } } },
      }),
    );
    assert.deepEqual(Object.keys(created.attestation.x509?.signingCertificates?.primary ?? {}), ["info"]);
    const info = created.attestation.x509?.signingCertificates?.primary?.info;
    assert.match(String(info?.subjectName), /CN=/);
    assert.match(String(info?.sha256Thumbprint), /^[0-9A-F]{64}$/);
    const der = caPem.replace(/-----[A-Z ]+-----|\s/g, "");
    const fromDer = await put(
      client,
      group("grp-x509-der", {
        attestation: { type: "x509", x509: { signingCertificates: { primary: { certificate: der } } } },
      }),
    );
    assert.equal(
      fromDer.attestation.x509?.signingCertificates?.primary?.info?.sha256Thumbprint,
      info?.sha256Thumbprint,
    );
    await expectDpsError(
      put(
        client,
        group("grp-bad-cert", {
          attestation: {
            type: "x509",
            x509: { signingCertificates: { primary: { certificate: "bm90IGEgY2VydA==" } } },
          },
        }),
      ),
      400,
      400004,
      /signingCertificates\.primary\.certificate' is not an X\.509 certificate/,
    );
    // The real DPS accepts a self-signed certificate without extensions (recorded); devices under a
    // non-CA certificate are refused at registration (test/emulator/chains.test.ts).
    const leaf = await put(
      client,
      group("grp-leaf", {
        attestation: { type: "x509", x509: { signingCertificates: { primary: { certificate: leafPem } } } },
      }),
    );
    assert.match(String(leaf.attestation.x509?.signingCertificates?.primary?.info?.subjectName), /CN=/);
  });

  it("x509 by CA reference; client certificates and TPM are refused for groups", async () => {
    const created = await put(
      client,
      group("grp-ca", { attestation: { type: "x509", x509: { caReferences: { primary: "my-ca" } } } }),
    );
    assert.deepEqual(created.attestation, { type: "x509", x509: { caReferences: { primary: "my-ca" } } });
    await expectDpsError(
      put(
        client,
        group("grp-client", {
          attestation: { type: "x509", x509: { clientCertificates: { primary: { certificate: caPem } } } },
        }),
      ),
      400,
      400004,
      /clientCertificates' is not valid for enrollment groups/,
    );
    await expectDpsError(
      put(client, group("grp-tpm", { attestation: { type: "tpm", tpm: { endorsementKey: "AToAAQ==" } } })),
      400,
      400004,
      /tpm is not supported for enrollment groups/,
    );
  });

  it("validates like individual enrollments: ids, body id, unlinked hubs, static with at most one hub", async () => {
    await expectDpsError(put(client, group("-bad-")), 400, 400005);
    const mismatch = await raw(emu, "/enrollmentGroups/grp-b?api-version=2021-10-01", {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(group("grp-c")),
    });
    expectRawError(mismatch, 400, 400005, /enrollmentGroupId in the body \('grp-c'\) does not match/);
    await expectDpsError(
      put(client, group("grp-hub", { allocationPolicy: "hashed", iotHubs: ["other.azure-devices.net"] })),
      400,
      400004,
      /'other\.azure-devices\.net' is not linked/,
    );
    await expectDpsError(
      put(client, group("grp-static", { allocationPolicy: "static", iotHubs: emu.linkedHubs })),
      400,
      400004,
      /At most one IoT hub/,
    );
    // Recorded: static with no hubs is accepted; devices land on the DPS's linked hub.
    const noHubs = await put(client, group("grp-static-none", { allocationPolicy: "static", iotHubs: null }));
    assert.equal(noHubs.allocationPolicy, "static");
    assert.equal(noHubs.iotHubs, undefined);
  });

  it("DELETE honours If-Match and answers 404 for a missing group", async () => {
    await put(client, group("grp-del"));
    await expectDpsError(client.deleteEnrollmentGroup("grp-del", '"stale"'), 412, 412002);
    await client.deleteEnrollmentGroup("grp-del");
    await expectDpsError(client.getEnrollmentGroup("grp-del"), 404, 404203);
    await expectDpsError(client.deleteEnrollmentGroup("grp-del"), 404, 404203);
    await expectDpsError(client.getEnrollmentGroupAttestationMechanism("grp-del"), 404, 404203);
  });

  it("groups and individual enrollments are separate: the same id may be both", async () => {
    await put(client, group("shared-id"));
    await client.createOrUpdateIndividualEnrollment({
      registrationId: "shared-id",
      attestation: { type: "symmetricKey" },
    } as never);
    await client.deleteEnrollmentGroup("shared-id");
    assert.equal(
      (await client.getIndividualEnrollment("shared-id")).responseBody.registrationId,
      "shared-id",
    );
  });

  it("bulk: create, updateIfMatchETag and delete with per-item errors named by enrollmentGroupId", async () => {
    const created = await bulk(emu, "create", [group("bulk-g1"), group("bulk-g2"), group("grp-sym")]);
    assert.equal(created.isSuccessful, false);
    assert.deepEqual(
      created.errors.map((e) => [e.enrollmentGroupId, e.errorCode]),
      [["grp-sym", 409201]],
    );
    const g1 = (await client.getEnrollmentGroup("bulk-g1")).responseBody;
    const updated = await bulk(emu, "updateIfMatchETag", [
      group("bulk-g1", { etag: g1.etag, provisioningStatus: "disabled" }),
      group("bulk-g2", { etag: '"stale"' }),
    ]);
    assert.deepEqual(
      updated.errors.map((e) => [e.enrollmentGroupId, e.errorCode]),
      [["bulk-g2", 412002]],
    );
    assert.equal((await client.getEnrollmentGroup("bulk-g1")).responseBody.provisioningStatus, "disabled");
    const deleted = await bulk(emu, "delete", [group("bulk-g1"), group("bulk-g2")]);
    assert.deepEqual(deleted, { isSuccessful: true, errors: [] });
    await expectDpsError(client.getEnrollmentGroup("bulk-g2"), 404, 404203);
    const res = await raw(emu, "/enrollmentGroups?api-version=2021-10-01", {
      method: "POST",
      body: JSON.stringify({ mode: "create", enrollments: [group("x")] }),
    });
    expectRawError(res, 400, 400006, /'enrollmentGroups' must be a non-empty array/);
  });

  it("query pages groups with continuation tokens and hides keys", async () => {
    const query = client.createEnrollmentGroupQuery({ query: "SELECT * FROM enrollmentGroups" }, 2);
    const ids: string[] = [];
    let pages = 0;
    while (query.hasMoreResults) {
      const page = query.continuationToken ? await query.next(query.continuationToken) : await query.next();
      pages += 1;
      for (const item of page.responseBody as unknown as EnrollmentGroup[]) {
        ids.push(item.enrollmentGroupId);
        if (item.attestation.type === "symmetricKey") assert.equal(item.attestation.symmetricKey, undefined);
      }
      assert.equal(page.httpResponse.headers["x-ms-item-type"], "EnrollmentGroup");
    }
    const all = ["grp-ca", "grp-given", "grp-sym", "grp-x509", "grp-x509-der"];
    assert.deepEqual(
      ids.filter((id) => all.includes(id)),
      all,
    );
    assert.equal(pages, Math.ceil(ids.length / 2));
    await expectDpsError(
      client.createEnrollmentGroupQuery({ query: "SELECT * FROM enrollments" }).next(),
      400,
      400007,
      /'SELECT \* FROM enrollmentGroups'/,
    );
  });
});

describe("emulator: enrollment groups persist", () => {
  it("a restarted emulator with the same state file still has its groups and keys", async () => {
    const stateFile = join(await mkdtemp(join(tmpdir(), "dps-groups-")), "state.json");
    const first = await start({ stateFile });
    await put(
      clientFor(first),
      group("persisted", {
        attestation: { type: "symmetricKey", symmetricKey: { primaryKey: KEY_A, secondaryKey: KEY_B } },
      }),
    );
    await first.stop();
    const second = await start({ stateFile });
    try {
      const att = (await clientFor(second).getEnrollmentGroupAttestationMechanism("persisted")).responseBody;
      assert.deepEqual(att.symmetricKey, { primaryKey: KEY_A, secondaryKey: KEY_B });
    } finally {
      await second.stop();
    }
  });
});

describe("emulator: enrollment group rights", () => {
  it("a read-only policy reads groups but is refused writes (401003); a missing token is 401002", async () => {
    const key = Buffer.alloc(32, 7).toString("base64");
    const emu = await start({
      policies: [
        { keyName: "owner", primaryKey: key, rights: ["EnrollmentRead", "EnrollmentWrite"] },
        { keyName: "reader", primaryKey: key, rights: ["EnrollmentRead"] },
      ],
    });
    try {
      await put(clientFor(emu, connectionStringFor(emu, "owner")), group("rights-g"));
      const reader = clientFor(emu, connectionStringFor(emu, "reader"));
      assert.equal((await reader.getEnrollmentGroup("rights-g")).responseBody.enrollmentGroupId, "rights-g");
      await expectDpsError(put(reader, group("rights-g2")), 401, 401003, /EnrollmentWrite/);
      await expectDpsError(reader.deleteEnrollmentGroup("rights-g"), 401, 401003);
      const anonymous = await raw(emu, "/enrollmentGroups/rights-g?api-version=2021-10-01", {
        authorization: null,
      });
      expectRawError(anonymous, 401, 401002);
      const patch = await raw(emu, "/enrollmentGroups/rights-g?api-version=2021-10-01", { method: "PATCH" });
      expectRawError(patch, 405, 405001);
    } finally {
      await emu.stop();
    }
  });
});
