// End to end, what a new user tripped over (issue 9, items 3-6), through the real Pulumi CLI and
// engine against the emulator: the `import` option, drift named in the preview after a refresh,
// `get` of a missing enrollment, and a changed or unreachable connection.
import { strict as assert } from "assert";
import { randomBytes } from "crypto";
import * as net from "net";
import type { ProvisioningServiceClient } from "azure-iot-provisioning-service";
import { DEFAULT_POLICY_NAME, startEmulator, type EmulatorHandle } from "../../emulator";
import { IndividualEnrollment, type DpsConnectionArgs } from "../../provider";
import { createServiceClient } from "../../provider/core/transport";
import { readEnrollment } from "../support/service";
import { EngineCommandError, EngineStack, findPulumi } from "../support/engine";

interface ServiceEnrollment {
  registrationId: string;
  deviceId?: string;
  initialTwin?: { tags?: Record<string, unknown> };
  attestation: { type: string; symmetricKey?: { primaryKey?: string; secondaryKey?: string } };
  etag?: string;
}

/** What the user saw of a failed operation. */
function seen(err: unknown): string {
  assert.ok(err instanceof EngineCommandError, String(err));
  return `${err.output}\n${err.stderr}`;
}

/** A loopback port with nothing listening (taken, then released). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("IndividualEnrollment: import, drift names, get of a missing enrollment, credentials (real engine)", function () {
  this.timeout(240_000);
  const primaryKey = randomBytes(32).toString("base64");
  const secondaryKey = randomBytes(32).toString("base64");
  let emu: EmulatorHandle;
  let client: ProvisioningServiceClient;
  let s: EngineStack | undefined;

  const connectionWith = (key: string, endpoint = emu.endpoint) => ({
    connectionString: `HostName=${emu.hostName};SharedAccessKeyName=${DEFAULT_POLICY_NAME};SharedAccessKey=${key}`,
    endpoint,
    caCertificate: emu.caCertificate,
  });
  const service = (id: string) => readEnrollment<ServiceEnrollment>(client, id);
  const stack = () => {
    assert.ok(s, "stack not created");
    return s;
  };

  /** One enrollment "legacy-1", declared with the `import` option and the given tags. */
  function importProgram(
    tags: Record<string, string>,
    connection: DpsConnectionArgs = connectionWith(primaryKey),
  ) {
    return async () => {
      const e = new IndividualEnrollment(
        "legacy",
        { connection, registrationId: "legacy-1", attestation: { type: "symmetricKey" }, tags },
        { import: "legacy-1" },
      );
      return { etag: e.etag, tags: e.tags };
    };
  }

  before(async () => {
    await findPulumi();
    emu = await startEmulator({
      policies: [
        {
          keyName: DEFAULT_POLICY_NAME,
          primaryKey,
          secondaryKey,
          rights: [
            "ServiceConfig",
            "EnrollmentRead",
            "EnrollmentWrite",
            "RegistrationStatusRead",
            "RegistrationStatusWrite",
          ],
        },
      ],
    });
    client = createServiceClient(connectionWith(primaryKey));
    // An enrollment made by hand, the way it exists before anyone writes a program for it.
    await client.createOrUpdateIndividualEnrollment({
      registrationId: "legacy-1",
      deviceId: "legacy-device",
      attestation: { type: "symmetricKey" },
      initialTwin: { tags: { site: "plant-1" } },
    } as never);
    s = await EngineStack.create({ projectName: "extras-e2e", program: importProgram({ site: "other" }) });
  });

  afterEach(function () {
    if (s && this.currentTest?.state === "failed") console.log(s.transcript);
  });

  after(async () => {
    await s?.dispose();
    await emu?.stop();
  });

  it("refuses to import an enrollment the program does not match, listing the differences at preview", async () => {
    emu.resetStats();
    await assert.rejects(stack().preview(), (err: unknown) => {
      const text = seen(err);
      assert.match(text, /Cannot import enrollment "legacy-1"/);
      assert.match(text, /tags: the DPS has \{"site":"plant-1"\}, the program says \{"site":"other"\}/);
      return true;
    });
    assert.equal(emu.stats().operations.put, 0, "nothing was written");
    await assert.rejects(stack().up(), (err: unknown) => {
      assert.match(seen(err), /tags: the DPS has/);
      return true;
    });
    assert.equal(emu.stats().operations.put, 0, "nothing was written");
    assert.deepEqual((await service("legacy-1"))?.initialTwin?.tags, { site: "plant-1" });
  });

  it("imports a matching enrollment with no write, keeping its keys, and later changes are Sets", async () => {
    const before = await client.getIndividualEnrollmentAttestationMechanism("legacy-1");
    stack().setProgram(importProgram({ site: "plant-1" }));
    const p = await stack().preview();
    assert.equal(p.changeSummary.create, 1, p.output);
    emu.resetStats();
    const u = await stack().up();
    assert.equal(u.summary.resourceChanges?.create, 1, u.output);
    assert.equal(emu.stats().operations.put, 0, "an import writes nothing");
    assert.deepEqual(u.outputs.tags.value, { site: "plant-1" });

    stack().setProgram(importProgram({ site: "plant-2" }));
    emu.resetStats();
    const change = await stack().up();
    assert.equal(change.summary.resourceChanges?.update, 1, change.output);
    assert.equal(emu.stats().operations.put, 1, "one Set");
    const after = await service("legacy-1");
    assert.deepEqual(after?.initialTwin?.tags, { site: "plant-2" });
    assert.equal(after?.deviceId, "legacy-device", "unmanaged properties are kept");
    const keys = await client.getIndividualEnrollmentAttestationMechanism("legacy-1");
    assert.deepEqual(keys.responseBody, before.responseBody, "the symmetric keys are kept");
  });

  it("names the drifted property in the preview after a refresh", async () => {
    const current = await service("legacy-1");
    assert.ok(current);
    current.attestation = (await client.getIndividualEnrollmentAttestationMechanism("legacy-1"))
      .responseBody as unknown as ServiceEnrollment["attestation"];
    current.initialTwin = { tags: { site: "edited-by-hand" } };
    await client.createOrUpdateIndividualEnrollment(current as never);

    await stack().refresh();
    const p = await stack().preview();
    assert.equal(p.changeSummary.update, 1, p.output);
    assert.match(p.output, /legacy\s+update\s+\[diff: ~tags\]/, p.output);
    const u = await stack().up();
    assert.equal(u.summary.resourceChanges?.update, 1, u.output);
    assert.deepEqual((await service("legacy-1"))?.initialTwin?.tags, { site: "plant-2" });
    const again = await stack().preview();
    assert.equal(again.changeSummary.update ?? 0, 0, again.output);
  });

  it("verifies a changed credential with one read, and fails clearly when the DPS refuses it", async () => {
    const wrong = randomBytes(32).toString("base64");
    stack().setProgram(importProgram({ site: "plant-2" }, connectionWith(wrong)));
    emu.resetStats();
    await assert.rejects(stack().up(), (err: unknown) => {
      const text = seen(err);
      assert.match(text, /changed connection of enrollment "legacy-1" does not work/);
      assert.match(text, /HTTP 401/);
      assert.match(
        text,
        /refused the credentials: check the connection's SharedAccessKeyName and SharedAccessKey/,
      );
      assert.doesNotMatch(text, new RegExp(wrong.replace(/[+/=]/g, "\\$&")), "the key is not printed");
      return true;
    });
    assert.equal(emu.stats().total, 1, "one read, no retries of a refusal");
    // The stack kept the connection that works: a refresh with it still reads the enrollment.
    stack().setProgram(importProgram({ site: "plant-2" }));
    const r = await stack().refresh();
    assert.equal(r.summary.result, "succeeded", r.output);

    // Key rotation to the policy's secondary key: verified with one read, nothing written.
    stack().setProgram(importProgram({ site: "plant-2" }, connectionWith(secondaryKey)));
    emu.resetStats();
    const u = await stack().up();
    assert.equal(u.summary.resourceChanges?.update, 1, u.output);
    assert.deepEqual(emu.stats().operations, { ...emu.stats().operations, get: 1, put: 0 });
  });

  it("says that it retried, for how long, and what to check when the DPS cannot be reached", async () => {
    stack().setProgram(
      importProgram(
        { site: "plant-2" },
        connectionWith(secondaryKey, `https://127.0.0.1:${await closedPort()}`),
      ),
    );
    await assert.rejects(stack().up(), (err: unknown) => {
      const text = seen(err);
      assert.match(text, /failed after 8 attempts over \d+\.\d s \(retried with backoff\)/);
      assert.match(text, /could not be reached: check the host name \(and `endpoint`, when set\)/);
      return true;
    });
  });

  it("fails a get of a missing enrollment, naming it and the DPS, and stores nothing", async () => {
    const connection = connectionWith(primaryKey);
    const g = await EngineStack.create({
      projectName: "extras-get-e2e",
      program: async () => {
        const e = IndividualEnrollment.get("ghost", "no-such-enrollment", { connection });
        return { deviceId: e.deviceId };
      },
    });
    try {
      await assert.rejects(g.up(), (err: unknown) => {
        const text = seen(err);
        assert.match(
          text,
          new RegExp(
            `Enrollment "no-such-enrollment" does not exist in ${emu.hostName.replace(/\./g, "\\.")}`,
          ),
        );
        assert.match(text, /IndividualEnrollment\.get found nothing to read/);
        assert.doesNotMatch(text, /runtime\.(ts|js):\d+/, "no stack trace for a user's mistake");
        assert.doesNotMatch(
          text,
          /found nothing to read[^\n]*found nothing to read/,
          "not twice on one line",
        );
        return true;
      });
      const exported = await g.exportStack();
      const resources = (exported.deployment as { resources?: { type: string }[] }).resources ?? [];
      assert.ok(!resources.some((r) => r.type.endsWith(":IndividualEnrollment")), "nothing stored");
    } finally {
      await g.dispose();
    }
  });

  it("refuses an import whose id is not the registration id, and one of an enrollment that does not exist", async () => {
    const connection = connectionWith(secondaryKey);
    const declare = (registrationId: string, importId: string) => async () => {
      new IndividualEnrollment(
        "a",
        { connection, registrationId, attestation: { type: "symmetricKey" } },
        { import: importId },
      );
    };
    const g = await EngineStack.create({
      projectName: "extras-import-e2e",
      program: declare("absent-1", "absent-1"),
    });
    try {
      await assert.rejects(g.preview(), (err: unknown) => {
        assert.match(seen(err), /Enrollment "absent-1" does not exist in .*There is nothing to import/);
        return true;
      });
      g.setProgram(declare("legacy-1", "legacy-2"));
      await assert.rejects(g.preview(), (err: unknown) => {
        assert.match(seen(err), /The `import` option names "legacy-2", but registrationId is "legacy-1"/);
        return true;
      });
    } finally {
      await g.dispose();
    }
  });
});
