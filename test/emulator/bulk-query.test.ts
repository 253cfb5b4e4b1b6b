import assert from "node:assert/strict";
import type { ProvisioningServiceClient } from "azure-iot-provisioning-service";
import type { IndividualEnrollment } from "azure-iot-provisioning-service/dist/interfaces";
import type { EmulatorHandle } from "../../emulator";
import { parseCli } from "../../emulator/cli";
import { clientFor, expectDpsError, expectRawError, putEnrollment, raw, runBulk, start } from "./helpers";

function enrollment(registrationId: string, extra: object = {}): IndividualEnrollment {
  return { registrationId, attestation: { type: "symmetricKey" }, ...extra } as IndividualEnrollment;
}

describe("emulator: bulk operations", () => {
  let emu: EmulatorHandle;
  let client: ProvisioningServiceClient;

  before(async () => {
    emu = await start();
    client = clientFor(emu);
  });
  after(() => emu.stop());

  it("create: creates new ones, reports existing ones as 409 errors, and is not atomic", async () => {
    await putEnrollment(client, enrollment("bulk-exists"));
    const result = await runBulk(client, {
      mode: "create",
      enrollments: [enrollment("bulk-a"), enrollment("bulk-exists"), enrollment("bulk-b")],
    });
    assert.equal(result.isSuccessful, false);
    assert.equal(result.errors.length, 1);
    assert.equal(result.errors[0].registrationId, "bulk-exists");
    assert.equal(result.errors[0].errorCode, 409201);
    assert.match(String(result.errors[0].errorStatus), /already exists/);
    assert.equal((await client.getIndividualEnrollment("bulk-b")).responseBody.registrationId, "bulk-b");
  });

  it("update (as recorded): refuses existing records item by item, writes nothing to them, creates new ones", async () => {
    const before = (await client.getIndividualEnrollment("bulk-a")).responseBody;
    const result = await runBulk(client, {
      mode: "update",
      enrollments: [enrollment("bulk-a", { provisioningStatus: "disabled" }), enrollment("bulk-new")],
    });
    // Recorded answer of the real DPS for a bulk update of existing enrollments sent without etags.
    assert.deepEqual(result, {
      isSuccessful: false,
      errors: [{ registrationId: "bulk-a", errorCode: 409201, errorStatus: "Enrollment already exists." }],
    });
    const after = (await client.getIndividualEnrollment("bulk-a")).responseBody;
    assert.equal(after.etag, before.etag);
    assert.equal(after.provisioningStatus, null);
    assert.equal((await client.getIndividualEnrollment("bulk-new")).responseBody.registrationId, "bulk-new");
  });

  it("update with updateRefusesExisting off (the REST spec's reading): replaces existing records", async () => {
    emu.setFaults({ updateRefusesExisting: false });
    try {
      const result = await runBulk(client, {
        mode: "update",
        enrollments: [enrollment("bulk-a", { provisioningStatus: "disabled" })],
      });
      assert.deepEqual(result, { isSuccessful: true, errors: [] });
      assert.equal(
        (await client.getIndividualEnrollment("bulk-a")).responseBody.provisioningStatus,
        "disabled",
      );
    } finally {
      emu.setFaults({ updateRefusesExisting: true });
    }
  });

  it("updateIfMatchETag: applies matching etags, 412 for stale or missing etags on existing enrollments", async () => {
    const current = (await client.getIndividualEnrollment("bulk-a")).responseBody;
    const result = await runBulk(client, {
      // The REST spec spells it updateIfMatchETag, the Node client's type updateIfMatchEtag: both work.
      mode: "updateIfMatchEtag",
      enrollments: [
        enrollment("bulk-a", { etag: current.etag, provisioningStatus: "enabled" }),
        enrollment("bulk-b", { etag: '"stale"' }),
        enrollment("bulk-new"),
        enrollment("bulk-created-by-etag-mode"),
      ],
    });
    assert.equal(result.isSuccessful, false);
    assert.deepEqual(
      result.errors.map((e) => [e.registrationId, e.errorCode]),
      [
        ["bulk-b", 412002],
        ["bulk-new", 412002],
      ],
    );
    assert.equal((await client.getIndividualEnrollment("bulk-a")).responseBody.provisioningStatus, "enabled");
    // Failed items count apart from the call's own answer (200).
    assert.deepEqual(emu.stats().bulkItemErrors, { "409": 2, "412": 2 });
    assert.ok((await client.getIndividualEnrollment("bulk-created-by-etag-mode")).responseBody.etag);
  });

  it("updateIfMatchETag with updateIfMatchETagRefusesExisting on: refuses existing records even with their etag", async () => {
    emu.setFaults({ updateIfMatchETagRefusesExisting: true });
    try {
      const current = (await client.getIndividualEnrollment("bulk-a")).responseBody;
      const result = await runBulk(client, {
        mode: "updateIfMatchETag" as "updateIfMatchEtag",
        enrollments: [enrollment("bulk-a", { etag: current.etag, provisioningStatus: "disabled" })],
      });
      assert.deepEqual(result, {
        isSuccessful: false,
        errors: [{ registrationId: "bulk-a", errorCode: 409201, errorStatus: "Enrollment already exists." }],
      });
      assert.equal((await client.getIndividualEnrollment("bulk-a")).responseBody.etag, current.etag);
    } finally {
      emu.setFaults({ updateIfMatchETagRefusesExisting: false });
    }
  });

  it("delete: deletes, 404 for missing, 412 for a stale etag", async () => {
    const result = await runBulk(client, {
      mode: "delete",
      enrollments: [
        enrollment("bulk-new"),
        enrollment("bulk-missing"),
        enrollment("bulk-b", { etag: '"stale"' }),
      ],
    });
    assert.deepEqual(
      result.errors.map((e) => [e.registrationId, e.errorCode]),
      [
        ["bulk-missing", 404201],
        ["bulk-b", 412002],
      ],
    );
    await expectDpsError(client.getIndividualEnrollment("bulk-new"), 404, 404201);
  });

  it("the switches come from the command line as on|off; the defaults are as recorded", async () => {
    assert.deepEqual(parseCli([]).bulkQuirks, {
      updateRefusesExisting: undefined,
      updateIfMatchETagRefusesExisting: undefined,
    });
    assert.deepEqual(
      parseCli([
        "--bulk-update-refuses-existing",
        "off",
        "--bulk-update-if-match-etag-refuses-existing",
        "on",
      ]).bulkQuirks,
      { updateRefusesExisting: false, updateIfMatchETagRefusesExisting: true },
    );
    assert.throws(
      () => parseCli(["--bulk-update-refuses-existing", "yes"]),
      /--bulk-update-refuses-existing expects on or off, got 'yes'/,
    );
    const started = await start({ bulkQuirks: { updateIfMatchETagRefusesExisting: true } });
    try {
      const res = await raw(started, "/_emulator/faults", { authorization: `Bearer ${started.adminToken}` });
      const settings = res.json() as {
        updateRefusesExisting: boolean;
        updateIfMatchETagRefusesExisting: boolean;
      };
      assert.equal(settings.updateRefusesExisting, true);
      assert.equal(settings.updateIfMatchETagRefusesExisting, true);
    } finally {
      await started.stop();
    }
  });

  it("accepts the REST spec's spelling updateIfMatchETag too", async () => {
    const result = await runBulk(client, {
      mode: "updateIfMatchETag" as "updateIfMatchEtag",
      enrollments: [enrollment("bulk-spelling")],
    });
    assert.deepEqual(result, { isSuccessful: true, errors: [] });
  });

  it("reports validation errors per item", async () => {
    const result = await runBulk(client, {
      mode: "create",
      enrollments: [
        enrollment("bulk-invalid", { allocationPolicy: "static", iotHubs: emu.linkedHubs }),
        enrollment("bulk-valid"),
      ],
    });
    assert.equal(result.errors.length, 1);
    assert.equal(result.errors[0].errorCode, 400004);
    assert.match(String(result.errors[0].errorStatus), /At most one IoT hub/);
  });

  it("400 for more than 10 items, an unknown mode, or no items; counted as bulk in stats", async () => {
    emu.resetStats();
    const eleven = Array.from({ length: 11 }, (_, i) => enrollment(`bulk-many-${i}`));
    await expectDpsError(
      runBulk(client, { mode: "create", enrollments: eleven }),
      400,
      400006,
      /at most 10 enrollments; got 11/,
    );
    await expectDpsError(
      runBulk(client, { mode: "upsert" as "create", enrollments: [enrollment("x")] }),
      400,
      400006,
      /'mode' must be one of create, update, updateIfMatchETag, delete/,
    );
    await expectDpsError(runBulk(client, { mode: "create", enrollments: [] }), 400, 400006);
    await expectDpsError(client.getIndividualEnrollment("bulk-many-0"), 404, 404201);
    assert.equal(emu.stats().operations.bulk, 3);
  });
});

describe("emulator: bulk operations against the rate limit", () => {
  let emu: EmulatorHandle;
  before(async () => {
    // 30 operations a minute: a bucket of one token, refilled every 2 s.
    emu = await start({ opsPerMinute: 30 });
  });
  after(() => emu.stop());

  it("a bulk call of 10 takes one operation of the limit, as the service counts it", async () => {
    const client = clientFor(emu);
    const ten = Array.from({ length: 10 }, (_, i) => enrollment(`rl-${i}`));
    assert.deepEqual(await runBulk(client, { mode: "create", enrollments: ten }), {
      isSuccessful: true,
      errors: [],
    });
    // The one token is spent: the next call (another bulk of 10) is throttled as a whole, with
    // Retry-After.
    const next = Array.from({ length: 10 }, (_, i) => enrollment(`rl-next-${i}`));
    await expectDpsError(runBulk(client, { mode: "create", enrollments: next }), 429, 429001);
    assert.equal(emu.stats().responses["429"], 1);
    assert.equal(emu.stats().operations.bulk, 2);
  });
});

describe("emulator: query paging", () => {
  let emu: EmulatorHandle;
  let client: ProvisioningServiceClient;

  before(async () => {
    emu = await start();
    client = clientFor(emu);
    for (let i = 0; i < 7; i++) {
      await putEnrollment(client, enrollment(`q-${i}`, { attestation: { type: "symmetricKey" } }));
    }
  });
  after(() => emu.stop());

  it("pages with x-ms-max-item-count and x-ms-continuation, hides keys, stops when no token comes back", async () => {
    const query = client.createIndividualEnrollmentQuery({ query: "*" }, 3);
    const pages: string[][] = [];
    while (query.hasMoreResults) {
      // next() without an argument always restarts from the first page: pass the token explicitly.
      const page = query.continuationToken ? await query.next(query.continuationToken) : await query.next();
      const items = page.responseBody as unknown as IndividualEnrollment[];
      // As recorded: query answers carry no symmetricKey object at all.
      for (const item of items) assert.deepEqual(item.attestation, { type: "symmetricKey" });
      pages.push(items.map((e) => e.registrationId));
    }
    assert.deepEqual(pages, [["q-0", "q-1", "q-2"], ["q-3", "q-4", "q-5"], ["q-6"]]);
  });

  it("answers everything in one page by default, and accepts SELECT * FROM enrollments", async () => {
    const page = await client.createIndividualEnrollmentQuery({ query: "SELECT * FROM enrollments" }).next();
    assert.equal((page.responseBody as unknown as IndividualEnrollment[]).length, 7);
    assert.equal(page.httpResponse.headers["x-ms-continuation"], undefined);
  });

  it("accepts the recorded query texts 'SELECT *' and 'select *'", async () => {
    for (const text of ["SELECT *", "select *"]) {
      const page = await client.createIndividualEnrollmentQuery({ query: text }).next();
      assert.equal((page.responseBody as unknown as IndividualEnrollment[]).length, 7, text);
      assert.equal(page.httpResponse.headers["x-ms-item-type"], "Enrollment");
    }
  });

  it("400 for other queries, a bad page size or a bad continuation token", async () => {
    await expectDpsError(
      client.createIndividualEnrollmentQuery({ query: "SELECT * FROM enrollments WHERE x = 1" }).next(),
      400,
      400007,
      /supports only the queries/,
    );
    const path = "/enrollments/query?api-version=2021-10-01";
    const body = JSON.stringify({ query: "*" });
    expectRawError(
      await raw(emu, path, { method: "POST", body, headers: { "x-ms-max-item-count": "0" } }),
      400,
      400007,
    );
    expectRawError(
      await raw(emu, path, { method: "POST", body, headers: { "x-ms-continuation": "garbage" } }),
      400,
      400007,
      /continuation token is invalid/,
    );
  });
});
