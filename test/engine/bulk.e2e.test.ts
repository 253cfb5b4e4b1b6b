// End to end: the engine's parallel steps become bulk calls. A program of 30 enrollments through the
// real Pulumi CLI (`--parallel 30`) against the emulator, whose stats count the calls; read back with
// the official client. Run twice: with bulk `updateIfMatchETag` written (the emulator's default) and
// refused item by item as the real DPS refuses bulk `update` (recorded, issue 27). Needs
// `npm run ensure-pulumi`.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { ProvisioningServiceClient } from "azure-iot-provisioning-service";
import { startEmulator, type EmulatorHandle } from "../../emulator";
import { IndividualEnrollment } from "../../provider";
import { WRITE_TRACE_ENV, type WriteTraceLine } from "../../provider/core/writeTrace";
import { EngineStack, findPulumi } from "../support/engine";
import { emulatorClient, emulatorStackConfig, readEnrollment } from "../support/service";

const N = 30;
const TPM_EK =
  "AToAAQALAAMAsgAgg3GXZ0SEs/gakMyNRqXXJP1S124GUgtk8qHaGzMUaaoABgCAAEMAEAgAAAAAAAEAxsj2gUScTk1UjuioeTlfGYZrrimExB+bScH75adUMRIi2UOMxG1kw4y+9RW/IVoMl4e620VxZad0ARX2gUqVjYO7KPVt3dyKhZS3dkcvfBisBhP1XH9B33VqHG9SHnbnQXdBUaCgKAfxome8UmBKfe+naTsE5fkvjb/do3/dD6l4sGBwFCnKRdln4XpM03zLpoHFao8zOwt8l/uP3qUIxmCYv9A7m69Ms+5/pCkTu/rK4mRDsfhZ0QLfbzVI6zQFOKF/rwsfBtFeWlWtcuJMKlXdD8TXWElTzgh7JS4qhFzreL0c1mI0GCj+Aws0usZh7dLIVPnlgZcBhgy1SSDQMQ==";

for (const updateIfMatchETagRefusesExisting of [false, true]) {
  const title = updateIfMatchETagRefusesExisting ? "refused as the DPS refuses bulk update" : "written";
  describe(`bulk calls from parallel steps, bulk updateIfMatchETag ${title} (real Pulumi engine + emulator)`, function () {
    this.timeout(300_000);
    let emu: EmulatorHandle | undefined;
    let client: ProvisioningServiceClient;
    let s: EngineStack | undefined;

    const program = (env: string) => async () => {
      const keys: Record<string, unknown> = {};
      for (let i = 0; i < N; i++) {
        const e = new IndividualEnrollment(`e${i}`, {
          registrationId: `eng-bulk-${i}`,
          attestation: i % 2 ? { type: "tpm", endorsementKey: TPM_EK } : { type: "symmetricKey" },
          tags: { env },
        });
        if (i % 2 === 0) keys[`e${i}`] = e.attestation.apply((a) => a.primaryKey);
      }
      return keys;
    };

    before(async () => {
      await findPulumi();
      emu = await startEmulator({ bulkQuirks: { updateIfMatchETagRefusesExisting } });
      client = emulatorClient(emu);
      s = await EngineStack.create({
        projectName: "bulk-e2e",
        program: program("v1"),
        config: emulatorStackConfig(emu),
      });
    });
    after(async () => {
      await s?.dispose();
      await emu?.stop();
    });

    it("creates 30 in a few bulk calls, with the keys in state the ones the DPS holds", async () => {
      emu!.resetStats();
      const r = await s!.stack.up({ parallel: N, color: "never" });
      assert.equal(r.summary.resourceChanges?.create, N + 1); // and the stack
      const { operations } = emu!.stats();
      // One call per enrollment without coalescing. The engine's steps arrive spread out (as the
      // program registers them), so not every call carries 10.
      assert.ok(operations.bulk >= 3, `bulk calls: ${operations.bulk}`);
      assert.ok(operations.put + operations.bulk <= N / 1.5, JSON.stringify(operations));
      for (let i = 0; i < N; i += 2) {
        const att = (await client.getIndividualEnrollmentAttestationMechanism(`eng-bulk-${i}`)).responseBody;
        assert.equal(r.outputs[`e${i}`].value, att.symmetricKey?.primaryKey);
      }
    });

    it("a refresh then a preview show nothing, and read no keys", async () => {
      emu!.resetStats();
      const refreshed = await s!.stack.refresh({ parallel: N, color: "never" });
      assert.deepEqual(Object.keys(refreshed.summary.resourceChanges ?? {}), ["same"], refreshed.stdout);
      assert.equal(
        emu!.stats().operations.attestation,
        0,
        "keys read in a refresh of records untouched since create",
      );
      const p = await s!.stack.preview({ parallel: N, color: "never" });
      assert.deepEqual(Object.keys(p.changeSummary), ["same"], p.stdout);
    });

    it("a Set-style change of all: written in bulk with each record's etag, nothing else lost", async () => {
      s!.setProgram(program("v2"));
      emu!.resetStats();
      const r = await s!.stack.up({ parallel: N, color: "never" });
      assert.equal(r.summary.resourceChanges?.update, N);
      const { operations } = emu!.stats();
      assert.equal(operations.attestation, 0, "no key read");
      if (updateIfMatchETagRefusesExisting) {
        // One refused bulk call, then each record once by a single PUT with If-Match.
        assert.ok(operations.bulk <= 1, `bulk calls: ${operations.bulk}`);
        assert.equal(operations.put, N, JSON.stringify(operations));
      } else {
        assert.ok(operations.bulk >= 3, `bulk calls: ${operations.bulk}`);
        assert.ok(operations.put + operations.bulk <= N / 1.5, JSON.stringify(operations));
      }
      for (let i = 0; i < N; i++) {
        const stored = await readEnrollment<{ initialTwin?: { tags?: object } }>(client, `eng-bulk-${i}`);
        assert.deepEqual(stored?.initialTwin?.tags, { env: "v2" });
      }
      // The keys did not move.
      const att = (await client.getIndividualEnrollmentAttestationMechanism("eng-bulk-0")).responseBody;
      assert.equal(r.outputs.e0.value, att.symmetricKey?.primaryKey);
    });

    it("destroys them in bulk deletes", async () => {
      emu!.resetStats();
      await s!.stack.destroy({ parallel: N, color: "never" });
      const { operations } = emu!.stats();
      assert.ok(operations.bulk >= 3, `bulk calls: ${operations.bulk}`);
      assert.ok(operations.delete + operations.bulk <= N / 1.5, JSON.stringify(operations));
      for (let i = 0; i < N; i++) assert.equal(await readEnrollment(client, `eng-bulk-${i}`), undefined);
    });
  });
}

describe("no write held when no other can join (real Pulumi engine + emulator, the provider's write trace)", function () {
  this.timeout(300_000);
  let emu: EmulatorHandle | undefined;
  let s: EngineStack | undefined;
  let dir: string;
  let trace: string;

  const program = (n: number, env: string) => async () => {
    for (let i = 0; i < n; i++) {
      new IndividualEnrollment(`e${i}`, {
        registrationId: `eng-lone-${i}`,
        attestation: { type: "tpm", endorsementKey: TPM_EK },
        tags: { env },
      });
    }
  };

  /** The provider's calls since the last read (writeTrace.ts), and a fresh trace file. */
  function calls(): WriteTraceLine[] {
    const text = fs.existsSync(trace) ? fs.readFileSync(trace, "utf8") : "";
    fs.rmSync(trace, { force: true });
    return text
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as WriteTraceLine);
  }

  before(async () => {
    await findPulumi();
    emu = await startEmulator();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "dps-write-trace-"));
    trace = path.join(dir, "writes.jsonl");
    s = await EngineStack.create({
      projectName: "lone-write-e2e",
      program: program(6, "v1"),
      config: emulatorStackConfig(emu),
      env: { [WRITE_TRACE_ENV]: trace },
    });
  });
  after(async () => {
    await s?.dispose();
    await emu?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("--parallel 1: each write goes at once as its own single call, none waits for company", async () => {
    emu!.resetStats();
    await s!.stack.up({ parallel: 1, color: "never" });
    const sent = calls();
    assert.deepEqual([emu!.stats().operations.put, emu!.stats().operations.bulk], [6, 0]);
    assert.equal(sent.length, 6);
    assert.ok(
      sent.every((c) => c.items === 1),
      JSON.stringify(sent),
    );
    // The first step of a run may be the first of a burst (the engine's parallelism is learned as
    // steps end): it waits the short window. Every later one goes at once, with no timer.
    assert.deepEqual(
      sent.slice(1),
      Array.from({ length: 5 }, () => ({ items: 1, reason: "every-step-waits", timer: false })),
    );
  });

  it("--parallel 1, a Set-style change of all: the same, each update at once", async () => {
    s!.setProgram(program(6, "v2"));
    await s!.stack.up({ parallel: 1, color: "never" });
    const sent = calls();
    assert.deepEqual(
      sent.slice(1),
      Array.from({ length: 5 }, () => ({ items: 1, reason: "every-step-waits", timer: false })),
    );
  });

  it("--parallel 8: writes share calls, and none waits the stream hold", async () => {
    s!.setProgram(program(32, "v3"));
    emu!.resetStats();
    await s!.stack.up({ parallel: 8, color: "never" });
    const sent = calls();
    const { operations } = emu!.stats();
    assert.equal(
      sent.reduce((n, c) => n + c.items, 0),
      32,
    );
    assert.ok(operations.bulk >= 2, JSON.stringify(operations));
    assert.deepEqual(
      sent.filter((c) => c.reason === "held"),
      [],
      JSON.stringify(sent),
    );
  });

  it("destroys them at --parallel 1, one delete at a time, none held", async () => {
    await s!.stack.destroy({ parallel: 1, color: "never" });
    const sent = calls();
    assert.ok(
      sent.slice(1).every((c) => c.items === 1 && c.reason === "every-step-waits" && !c.timer),
      JSON.stringify(sent),
    );
  });
});
