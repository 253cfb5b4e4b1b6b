/**
 * The fleet bench's program (a manifest of TPM items declared as one fleet, by either face, or the
 * no-op floor), and one `pulumi up` of it in a Node process of its own, as a user's program runs
 * (a new process at each `up`, holding only the program and the SDK): its peak RSS is the program's,
 * not the bench's. The bench (`fleet.ts`) starts it with {@link runFleetProgram}; it opens the bench's
 * stack through the Automation API with the same environment, runs the inline program, and prints one
 * JSON line: the operation's milliseconds, the failed resources and the process's peak RSS.
 *
 * @packageDocumentation
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import { LocalWorkspace, Stack, type PulumiFn } from "@pulumi/pulumi/automation";
import { EnrollmentFleet } from "../provider";
import { ENROLLMENT_FLEET } from "../provider/fleet/kind";
import { findPulumi, type EngineStack } from "../test/support/engine";
import { Noop } from "../test/support/noop";
import { PluginEnrollment } from "../test/support/pluginResource";
import { TPM_EK } from "../test/support/tpm";
import { failedResources, type Parallel } from "./common";

/** Which face declares the fleet: the dynamic class, the plugin's type, or the no-op floor. */
export type FleetFace = "dynamic" | "plugin" | "noop";

/**
 * The endorsement key of item `id`: the bench's TPM2B_PUBLIC (RSA 2048) with its modulus replaced by
 * bytes derived from the id, so every item has its own key of a real key's size (424 B of base64).
 */
export function itemEndorsementKey(id: string): string {
  const template = Buffer.from(TPM_EK, "base64");
  const modulusBytes = 256;
  const modulus = Buffer.concat(
    [0, 1, 2, 3].map((i) => createHash("sha512").update(`${id}/${i}`).digest()),
  ).subarray(0, modulusBytes);
  modulus[0] |= 0x80; // a 2,048-bit modulus has its top bit set
  return Buffer.concat([template.subarray(0, template.length - modulusBytes), modulus]).toString("base64");
}

/** The registration id of item `i`. */
export function itemId(prefix: string, i: number): string {
  return `${prefix}-${String(i).padStart(5, "0")}`;
}

/** The manifest of `n` TPM items (attestation type implied by the endorsement key, as a manifest gives it). */
export function fleetManifest(
  prefix: string,
  n: number,
): Record<string, { attestation: { endorsementKey: string } }> {
  const items: Record<string, { attestation: { endorsementKey: string } }> = {};
  for (let i = 0; i < n; i++) {
    const id = itemId(prefix, i);
    items[id] = { attestation: { endorsementKey: itemEndorsementKey(id) } };
  }
  return items;
}

/** The tags every item gets from `defaults`; `version` changes in the Set-style change. */
function defaultsOf(version: string): { tags: Record<string, string> } {
  return { tags: { env: version, fleet: "bench" } };
}

/** The program of `face`: the fleet of `manifest` with the shared tags of `version`. */
export function fleetProgram(
  face: FleetFace,
  manifest: ReturnType<typeof fleetManifest>,
  version: string,
): PulumiFn {
  return async () => {
    const args = { defaults: defaultsOf(version), enrollments: manifest };
    if (face === "dynamic") new EnrollmentFleet("fleet", args);
    else if (face === "plugin") new PluginEnrollment(ENROLLMENT_FLEET.plugin.token, "fleet", args);
    else new Noop("fleet", { value: JSON.stringify(args) });
  };
}

/** What the child needs: where the stack is, and which program to run. */
interface ChildArgs {
  workDir: string;
  pulumiHome: string;
  env: Record<string, string>;
  stackName: string;
  face: FleetFace;
  n: number;
  prefix: string;
  version: string;
  parallel: Parallel;
}

/** What the child reports. */
export interface ProgramRun {
  /** Milliseconds of `pulumi up` (the child's start and the workspace's opening excluded). */
  ms: number;
  /** Resources the engine reported failed (0 on success). */
  failed: number;
  /** Peak RSS (`VmHWM`) of the program's process, bytes. */
  peakRss: number;
}

/**
 * Runs `pulumi up` of the fleet of `n` items of `face` with the shared tags `version` on `stack`, the
 * program in a process of its own.
 */
export function runFleetProgram(
  stack: EngineStack,
  program: { face: FleetFace; n: number; prefix: string; version: string; parallel: Parallel },
): Promise<ProgramRun> {
  const args: ChildArgs = {
    workDir: stack.stack.workspace.workDir,
    pulumiHome: stack.pulumiHome,
    env: stack.env,
    stackName: stack.name,
    ...program,
  };
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [__filename, JSON.stringify(args)],
      { maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const last = stdout.trim().split("\n").pop() ?? "";
        if (err) reject(new Error(`the fleet program failed: ${err.message}\n${stderr.slice(-4000)}`));
        else resolve(JSON.parse(last) as ProgramRun);
      },
    );
  });
}

/** This process's peak RSS, bytes (0 where `/proc` is not). */
function peakRss(): number {
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(fs.readFileSync("/proc/self/status", "utf8"));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

async function main(): Promise<void> {
  const a = JSON.parse(process.argv[2]) as ChildArgs;
  const pulumi = await findPulumi();
  const ws = await LocalWorkspace.create({
    workDir: a.workDir,
    // The manifest is built while the program runs, as a program reading a file would.
    program: () => fleetProgram(a.face, fleetManifest(a.prefix, a.n), a.version)(),
    pulumiCommand: pulumi.command,
    pulumiHome: a.pulumiHome,
    envVars: a.env,
  });
  const stack = await Stack.select(a.stackName, ws);
  const started = process.hrtime.bigint();
  let failed = 0;
  try {
    await stack.up({ ...(a.parallel === undefined ? {} : { parallel: a.parallel }), color: "never" });
  } catch (err) {
    failed = failedResources("up", err);
  }
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const run: ProgramRun = { ms, failed, peakRss: peakRss() };
  process.stdout.write(`${JSON.stringify(run)}\n`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
