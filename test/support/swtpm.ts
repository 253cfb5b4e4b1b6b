// Software TPM 2.0 chips for the tests: Debian's swtpm, one at a time (Microsoft's TPM client,
// tss.js, talks to 127.0.0.1:2323 when the machine has no /dev/tpm*), each with a fresh state folder,
// so each chip has its own endorsement key. Tests skip where swtpm is missing, except in CI.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Context } from "mocha";

/** The port tss.js connects to (its control channel is the next one). */
export const SWTPM_PORT = 2323;

/** Why software TPM tests cannot run here, or undefined when they can. */
export function swtpmMissing(): string | undefined {
  if (spawnSync("swtpm", ["--version"], { stdio: "ignore" }).error) {
    return "swtpm is not installed (apt-get install swtpm; .ci/run installs it)";
  }
  if (existsSync("/dev/tpm0") || existsSync("/dev/tpmrm0")) {
    return "this machine has a TPM device, which Microsoft's TPM client would use instead of swtpm";
  }
  return undefined;
}

/**
 * Skips the calling suite with a message naming what is missing; in CI (CI=true) fails instead, so a
 * CI machine without swtpm cannot pass silently.
 */
export function requireSwtpm(ctx: Context): void {
  const missing = swtpmMissing();
  if (!missing) return;
  if (process.env.CI === "true") throw new Error(`TPM tests cannot run in CI: ${missing}.`);
  console.warn(`      skipped: ${missing}.`);
  ctx.skip();
}

/** A running software TPM. */
export interface Chip {
  /** Ends the swtpm process and removes its state folder. */
  stop(): Promise<void>;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
  await exited;
  clearTimeout(timer);
}

/** Starts a new chip (a fresh swtpm on 127.0.0.1:2323/2324); resolves once it accepts connections. */
export async function startChip(): Promise<Chip> {
  if (await portOpen(SWTPM_PORT)) throw new Error(`port ${SWTPM_PORT} is taken: another TPM is running`);
  const dir = await mkdtemp(join(tmpdir(), "swtpm-"));
  const child = spawn(
    "swtpm",
    [
      "socket",
      "--tpm2",
      "--tpmstate",
      `dir=${dir}`,
      "--server",
      `type=tcp,port=${SWTPM_PORT},bindaddr=127.0.0.1`,
      "--ctrl",
      `type=tcp,port=${SWTPM_PORT + 1},bindaddr=127.0.0.1`,
      "--flags",
      "not-need-init,startup-clear",
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  const stop = async (): Promise<void> => {
    await stopProcess(child);
    await rm(dir, { recursive: true, force: true });
  };
  for (let i = 0; i < 100; i += 1) {
    if (child.exitCode !== null) break;
    if (await portOpen(SWTPM_PORT)) return { stop };
    await new Promise((r) => setTimeout(r, 50));
  }
  await stop();
  throw new Error(`swtpm did not start: ${stderr.trim() || "no output"}`);
}
