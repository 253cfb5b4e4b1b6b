// Fault tolerance through the real Pulumi engine against the emulator's fault injection: a fleet
// update survives 500/503, dropped connections, 429 with Retry-After and slow answers; a concurrent
// out-of-band writer's 412s are retried without losing either writer's fields; an engine killed
// mid-update leaves a state that `pulumi refresh` + `pulumi up` repair.
//
// Fault rates are chosen so that the test is not flaky: with a 12% chance of a 5xx or a drop per
// request and 8 attempts per call, a call fails with probability 0.12^8 ≈ 4e-8 (429s are retried
// on a time budget, not counted), while at least one fault among ~100 requests is missed with
// probability 0.88^100 ≈ 3e-6. 429s are certain: 120 operations per minute is far below the engine's
// pace. Needs `npm run ensure-pulumi` (fails otherwise).
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import type { ProvisioningServiceClient } from "azure-iot-provisioning-service";
import { startEmulator, type EmulatorHandle } from "../../emulator";
import { failureInfo } from "../../provider/core/retry";
import { createServiceClient } from "../../provider/core/transport";
import { readEnrollment } from "../support/service";
import { EngineStack, findPulumi, type UpdateOutcome } from "../support/engine";
import { EXIT_BOUND_MS, processesWorkingIn, waitUntilGone } from "../support/processes";
import { fleetProgram, spawnUpChild, type ChildArgs } from "./upChild";

interface ServiceEnrollment {
  registrationId: string;
  etag: string;
  initialTwin?: { tags?: Record<string, unknown> };
  optionalDeviceInformation?: Record<string, unknown>;
  attestation: { type: string; symmetricKey?: { primaryKey?: string; secondaryKey?: string } };
}

const N = 50;

describe("fault tolerance (real Pulumi engine + emulator fault injection)", function () {
  this.timeout(240_000);
  let emu: EmulatorHandle | undefined;
  let client: ProvisioningServiceClient;
  let connection: ChildArgs["connection"];
  const stacks: EngineStack[] = [];

  before(async function () {
    // No skipping: `npm test` runs scripts/ensure-pulumi first, so a missing CLI is a failure to see.
    await findPulumi();
    emu = await startEmulator();
    connection = {
      connectionString: emu.connectionString,
      endpoint: emu.endpoint,
      caCertificate: emu.caCertificate,
    };
    client = createServiceClient(connection);
  });

  afterEach(function () {
    if (this.currentTest?.state === "failed") for (const s of stacks) console.log(s.transcript);
  });

  after(async () => {
    // Every stack is disposed (which fails on a process left in its directory) and the emulator stopped.
    const disposed = await Promise.allSettled(stacks.map((s) => s.dispose()));
    await emu?.stop();
    for (const d of disposed) if (d.status === "rejected") throw d.reason;
  });

  function emulator(): EmulatorHandle {
    assert.ok(emu, "emulator not started");
    return emu;
  }

  async function stack(
    projectName: string,
    prefix: string,
    count: number,
    version: string,
  ): Promise<EngineStack> {
    const s = await EngineStack.create({
      projectName,
      program: fleetProgram({ connection, prefix, count, version }),
      keep: process.env.FAULTS_KEEP === "1",
    });
    stacks.push(s);
    return s;
  }

  const service = (id: string) => readEnrollment<ServiceEnrollment>(client, id);

  async function keys(id: string): Promise<unknown> {
    return (await client.getIndividualEnrollmentAttestationMechanism(id)).responseBody.symmetricKey;
  }

  /** Asserts that enrollments `${prefix}-0..count-1` all exist with tags `{ env: version }`. */
  async function assertFleet(prefix: string, count: number, version: string): Promise<ServiceEnrollment[]> {
    const all: ServiceEnrollment[] = [];
    for (let i = 0; i < count; i++) {
      const e = await service(`${prefix}-${i}`);
      assert.ok(e, `${prefix}-${i} is missing`);
      assert.deepEqual(e.initialTwin?.tags, { env: version }, `${prefix}-${i} has the wrong tags`);
      all.push(e);
    }
    return all;
  }

  /** The state is exactly the service: a refresh changes nothing and a preview plans nothing. */
  async function assertInSync(s: EngineStack): Promise<void> {
    const r = await s.refresh();
    const changes = Object.entries(r.summary.resourceChanges ?? {}).filter(([op]) => op !== "same");
    assert.deepEqual(changes, [], `refresh found drift:\n${r.output}`);
    const p = await s.preview();
    assert.deepEqual(Object.keys(p.changeSummary), ["same"], p.output);
  }

  it(`creates and updates ${N} enrollments through 500/503, drops, 429 and slow answers`, async () => {
    const s = await stack("faults-fleet", "flt", N, "v1");
    emulator().setFaults({ rate500: 0.04, rate503: 0.04, dropRate: 0.04, latencyMs: 30, opsPerMinute: 120 });
    emulator().resetStats();
    try {
      const created = await s.up();
      assert.equal(created.summary.result, "succeeded", created.output);
      assert.equal(created.summary.resourceChanges?.create, N + 1, created.output);
      s.setProgram(fleetProgram({ connection, prefix: "flt", count: N, version: "v2" }));
      const updated = await s.up();
      assert.equal(updated.summary.resourceChanges?.update, N, updated.output);
    } finally {
      emulator().setFaults({ rate500: 0, rate503: 0, dropRate: 0, latencyMs: 0, opsPerMinute: 0 });
    }
    const stats = emulator().stats();
    assert.ok(stats.responses["429"] > 0, `no 429 happened: ${JSON.stringify(stats)}`);
    assert.ok(stats.responses["5xx"] + stats.dropped > 0, `no fault happened: ${JSON.stringify(stats)}`);
    assert.equal(
      stats.responses["409"] + stats.responses["412"],
      0,
      "a retried write conflicted with itself",
    );
    await assertFleet("flt", N, "v2");
    await assertInSync(s);
  });

  it("retries 412s from a concurrent writer and keeps both writers' fields", async () => {
    const count = 20;
    const s = await stack("faults-412", "cw", count, "v1");
    assert.equal((await s.up()).summary.result, "succeeded");
    const keysBefore = await Promise.all(Array.from({ length: count }, (_, i) => keys(`cw-${i}`)));

    // Another writer sets a field the program does not manage, on every enrollment, before and during
    // the update, with If-Match like the cmdlet (so it never overwrites Pulumi's writes either).
    const written = new Map<string, number>();
    async function outOfBand(id: string, round: number): Promise<void> {
      for (;;) {
        const e = await service(id);
        assert.ok(e);
        const full = {
          ...e,
          attestation: (await client.getIndividualEnrollmentAttestationMechanism(id)).responseBody,
        };
        full.optionalDeviceInformation = { writer: "other", round };
        try {
          await client.createOrUpdateIndividualEnrollment(full as never);
          written.set(id, round);
          return;
        } catch (err) {
          // 412: Pulumi wrote in between. A connection lost on the way: try again, as the provider does.
          const failure = failureInfo(err);
          if (failure.status !== 412 && !failure.network) throw err;
        }
      }
    }
    for (let i = 0; i < count; i++) await outOfBand(`cw-${i}`, 0);

    emulator().setFaults({ latencyMs: 30 });
    emulator().resetStats();
    let stop = false;
    const writer = (async () => {
      for (let round = 1; !stop && round < 50; round++) {
        for (let i = 0; i < count && !stop; i += 3) await outOfBand(`cw-${i}`, round);
      }
    })();
    s.setProgram(fleetProgram({ connection, prefix: "cw", count, version: "v2" }));
    try {
      const r = await s.up();
      assert.equal(r.summary.resourceChanges?.update, count, r.output);
    } finally {
      stop = true;
      await writer;
      emulator().setFaults({ latencyMs: 0 });
    }
    // Every write met the other writer's change: as a 412 on a stale etag (a single PUT's, or an
    // item's of a bulk call), or, for an enrollment written by a bulk call (its etag unknown), by
    // reading it before writing.
    const stats = emulator().stats();
    const refused = stats.responses["412"] + (stats.bulkItemErrors["412"] ?? 0);
    assert.ok(refused + stats.operations.get >= count, `no 412s and no reads: ${JSON.stringify(stats)}`);
    const fleet = await assertFleet("cw", count, "v2");
    for (const e of fleet) {
      assert.deepEqual(
        e.optionalDeviceInformation,
        { writer: "other", round: written.get(e.registrationId) },
        `${e.registrationId}: the other writer's field was lost`,
      );
    }
    const keysAfter = await Promise.all(Array.from({ length: count }, (_, i) => keys(`cw-${i}`)));
    assert.deepEqual(keysAfter, keysBefore, "symmetric keys changed");
    await assertInSync(s);
  });

  it("repairs a stack whose engine was killed mid-update with refresh and up", async function () {
    const existing = 10;
    const count = 30; // 10 updated, 20 created by the killed run
    const s = await stack("faults-kill", "kill", existing, "v1");
    assert.equal((await s.up()).summary.result, "succeeded");

    // Slow answers keep operations in flight when the engine dies.
    emulator().setFaults({ latencyMs: 400 });
    emulator().resetStats();
    const args: ChildArgs = {
      dir: s.dir,
      projectName: "faults-kill",
      stackName: s.name,
      connection,
      prefix: "kill",
      count,
      version: "v2",
    };
    const child = spawnUpChild(args);
    const deadline = Date.now() + 120_000;
    // Killed once some writes are on the wire: with the latency they land after the engine is gone.
    // Writes go out as single PUTs or bulk calls of up to 10 (when several are in flight at once).
    const writeCalls = () => emulator().stats().operations.put + emulator().stats().operations.bulk;
    while (writeCalls() < 3) {
      assert.ok(Date.now() < deadline, `the child never got going:\n${child.output()}`);
      assert.ok(child.running(), `the child exited early:\n${child.output()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    await child.kill();
    // A killed process takes a moment to leave the process table (its plugin too): waited for, bounded.
    assert.deepEqual(
      await waitUntilGone(() => processesWorkingIn(s.dir), EXIT_BOUND_MS),
      [],
      `a process of the killed engine still runs ${EXIT_BOUND_MS / 1000} s after the kill`,
    );
    emulator().setFaults({ latencyMs: 0 });
    assert.ok(!child.output().includes("UP DONE"), "the update finished before the kill");
    const callsAtKill = writeCalls();
    assert.ok(callsAtKill < count, `the kill came too late (${callsAtKill} write calls)`);

    // What a user does after a crash: `pulumi cancel` (the dead run's lock), `pulumi refresh
    // --clear-pending-creates` (creates the engine never heard back from are dropped from the state;
    // the provider finds them again by registration id on the next up), then `pulumi up`. If the kill
    // cut a checkpoint write short (the file backend writes in place), restore the newest backup with
    // `pulumi stack import` first.
    await s.cli(["cancel", "--yes", "--stack", s.name]);
    const refresh = ["refresh", "--yes", "--skip-preview", "--clear-pending-creates", "--stack", s.name];
    try {
      await s.cli(refresh);
    } catch (err) {
      if (!/failed to load checkpoint/.test(String(err))) throw err;
      const backups = path.join(s.dir, "state", ".pulumi", "backups", "faults-kill", s.name);
      const newest = fs
        .readdirSync(backups)
        .filter((f) => f.endsWith(".json"))
        .sort()
        .pop();
      assert.ok(newest, "no backup to restore");
      await s.cli(["stack", "import", "--force", "--file", path.join(backups, newest), "--stack", s.name]);
      await s.cli(refresh);
    }
    s.setProgram(fleetProgram({ connection, prefix: "kill", count, version: "v2" }));
    // An enrollment whose create reached the service after the engine died is found identical to
    // what the program declares and taken as created (no write).
    const r: UpdateOutcome = await s.up();
    assert.equal(r.summary.result, "succeeded", r.output);
    await assertFleet("kill", count, "v2");
    await assertInSync(s);
  });
});
