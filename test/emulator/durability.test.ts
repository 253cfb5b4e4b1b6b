// With --state, an acknowledged write survives kill -9, and a failing save never crashes the emulator.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { ProvisioningServiceClient } from "azure-iot-provisioning-service";
import { startEmulator, type EmulatorHandle } from "../../emulator";
import { createServiceClient } from "../../provider/core/transport";
import { clientFor, expectDpsError, expectRawError, putEnrollment, raw } from "./helpers";

const sym = { type: "symmetricKey" };

interface StateOnDisk {
  enrollments: Array<{ registrationId: string; etag: string }>;
}

function readState(file: string): StateOnDisk {
  return JSON.parse(readFileSync(file, "utf8")) as StateOnDisk;
}

async function until(condition: () => boolean, limitMs: number, what: string): Promise<void> {
  const end = Date.now() + limitMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("emulator: the state file under faults", () => {
  let dir: string;
  let emu: EmulatorHandle;
  let client: ProvisioningServiceClient;
  const log: string[] = [];
  const folder = (): string => join(dir, "state");
  const file = (): string => join(folder(), "s.json");

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "dps-emu-dur-"));
    emu = await startEmulator({ stateFile: file(), log: (m) => log.push(m) });
    client = clientFor(emu);
  });
  after(async () => {
    await emu.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it("a write is in the file when its 200 arrives (no debounce window)", async () => {
    const created = await putEnrollment(client, { registrationId: "dur-1", attestation: sym });
    const saved = readState(file()).enrollments.find((e) => e.registrationId === "dur-1");
    assert.equal(saved?.etag, created.etag);
  });

  it("a 5,000-level nesting bomb is refused before it reaches the store or its save", async () => {
    const bomb =
      '{"registrationId":"bomb-1","attestation":{"type":"symmetricKey"},"initialTwin":{"tags":' +
      '{"a":'.repeat(5000) +
      "1" +
      "}".repeat(5000) +
      "}}";
    const res = await raw(emu, "/enrollments/bomb-1?api-version=2021-10-01", { method: "PUT", body: bomb });
    expectRawError(res, 400, 400002, /deeper than 32 levels/);
    await putEnrollment(client, { registrationId: "dur-1b", attestation: sym });
    assert.deepEqual(
      readState(file()).enrollments.map((e) => e.registrationId),
      ["dur-1", "dur-1b"],
    );
    await client.deleteIndividualEnrollment("dur-1b");
  });

  it("recreates a state folder deleted while running", async () => {
    rmSync(folder(), { recursive: true });
    await putEnrollment(client, { registrationId: "dur-2", attestation: sym });
    assert.deepEqual(
      readState(file()).enrollments.map((e) => e.registrationId),
      ["dur-1", "dur-2"],
    );
  });

  it("a save that fails answers 500, is reported and retried, and the emulator keeps serving", async () => {
    // A plain file where the folder should be: the save cannot create the folder.
    rmSync(folder(), { recursive: true });
    writeFileSync(folder(), "not a folder");
    await expectDpsError(
      putEnrollment(client, { registrationId: "dur-3", attestation: sym }),
      500,
      500001,
      /applied in memory but could not be saved to the state file: .*ENOTDIR.*keeps retrying/,
    );
    assert.ok(
      log.some((l) => /could not save the state file .* \(retrying\)/.test(l)),
      log.join("\n"),
    );
    // Reads keep working for everyone, including of the unsaved write.
    assert.equal((await client.getIndividualEnrollment("dur-3")).responseBody.registrationId, "dur-3");
    rmSync(folder());
    await until(() => log.some((l) => /is saved again/.test(l)), 10_000, "the retried save");
    assert.deepEqual(
      readState(file()).enrollments.map((e) => e.registrationId),
      ["dur-1", "dur-2", "dur-3"],
    );
    assert.ok(
      log.some((l) => /is saved again/.test(l)),
      log.join("\n"),
    );
  });
});

describe("emulator: kill -9 loses no acknowledged write", function () {
  this.timeout(60_000);
  const cli = join(__dirname, "../../emulator/cli.js");
  let dir: string;
  const children: ChildProcess[] = [];

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "dps-emu-kill-"));
  });
  after(() => {
    for (const c of children) c.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  async function launch(state: string): Promise<{ child: ChildProcess; client: ProvisioningServiceClient }> {
    const child = spawn(process.execPath, [cli, "--state", state], { stdio: ["ignore", "pipe", "pipe"] });
    children.push(child);
    let stderr = "";
    child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout! }).once("line", resolve);
      child.once("exit", () => reject(new Error(`exited early: ${stderr}`)));
    });
    const ready = JSON.parse(line) as { connectionString: string; endpoint: string; caCertificate: string };
    return { child, client: createServiceClient(ready) };
  }

  it("spawns the CLI with --state, fires a burst of PUTs, kills it right after the last 200, and finds every acknowledged one after restart", async () => {
    const state = join(dir, "s.json");
    const first = await launch(state);
    const acknowledged = new Map<string, string>();
    const put = async (id: string): Promise<void> => {
      const e = await putEnrollment(first.client, { registrationId: id, attestation: sym });
      acknowledged.set(e.registrationId, e.etag);
    };
    // Open 60 keep-alive connections first, so the burst is not paced by TLS handshakes.
    await Promise.all(
      Array.from({ length: 60 }, () =>
        first.client.getIndividualEnrollment("warm-up").catch(() => undefined),
      ),
    );
    await Promise.all(Array.from({ length: 60 }, (_, i) => put(`burst-${i}`)));
    // Then back-to-back writes, and kill -9 in the same tick as the last 200: a save that lags the
    // answer (the old 50 ms debounce) loses the tail here.
    for (let i = 0; i < 20; i++) await put(`tail-${i}`);
    first.child.kill("SIGKILL");
    await new Promise((resolve) => first.child.once("exit", resolve));
    assert.equal(first.child.signalCode, "SIGKILL");
    assert.equal(acknowledged.size, 80);

    const second = await launch(state);
    try {
      const missing: string[] = [];
      for (const [id, etag] of acknowledged) {
        const got = await second.client.getIndividualEnrollment(id).catch(() => undefined);
        if (got?.responseBody.etag !== etag) missing.push(id);
      }
      assert.deepEqual(missing, [], `${missing.length} of ${acknowledged.size} acknowledged writes lost`);
    } finally {
      second.child.kill("SIGKILL");
    }
  });
});
