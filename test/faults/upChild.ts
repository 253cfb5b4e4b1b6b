/**
 * A `pulumi up` in its own process, for the fault test that kills the engine mid-update. It opens the
 * stack an {@link EngineStack} created (same backend, workspace, home and environment as the harness)
 * and applies `count` enrollments with tags `{ env: version }`. It prints `UP START` before the
 * update and `UP DONE` after; the test SIGKILLs it in between: its process group (this script and the
 * Pulumi CLI) and every process below it (the provider plugins, which the CLI starts in process groups
 * of their own, so that killing the engine's group alone would leave them running).
 *
 * Usage: `node upChild.js '<json of ChildArgs>'`.
 *
 * @packageDocumentation
 */
import { spawn } from "child_process";
import * as path from "path";
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { IndividualEnrollment } from "../../provider";
import { STATE_ROOT, findPulumi, offlineEngineEnv } from "../support/engine";
import { descendantsOf, killProcesses } from "../support/processes";

/** What the parent passes. */
export interface ChildArgs {
  /** `EngineStack.dir` of the stack to update. */
  dir: string;
  /** Project name the stack was created with. */
  projectName: string;
  /** Stack name. */
  stackName: string;
  /** The DPS connection (plain). */
  connection: { connectionString: string; endpoint: string; caCertificate: string };
  /** Registration id prefix. */
  prefix: string;
  /** How many enrollments the program declares. */
  count: number;
  /** The `env` tag every enrollment gets. */
  version: string;
  /** Extra environment of the CLI (e.g. `PULUMI_SKIP_CHECKPOINTS`). */
  env?: Record<string, string>;
}

/**
 * The program shared by the parent test and this child: `count` symmetric-key enrollments
 * `${prefix}-${i}` with tags `{ env: version }`.
 */
export function fleetProgram(
  a: Pick<ChildArgs, "connection" | "prefix" | "count" | "version">,
): () => Promise<void> {
  return async () => {
    for (let i = 0; i < a.count; i++) {
      new IndividualEnrollment(`e${i}`, {
        connection: a.connection,
        registrationId: `${a.prefix}-${i}`,
        attestation: { type: "symmetricKey" },
        tags: { env: a.version },
      });
    }
  };
}

/** A running child `pulumi up` (see the module comment). */
export interface UpChild {
  /** Everything it printed so far. */
  output(): string;
  /** Whether it is still running. */
  running(): boolean;
  /** SIGKILLs it and every process below it (the CLI, the provider plugins) and waits for it. */
  kill(): Promise<void>;
}

/** Starts `pulumi up` of `args` in a process group of its own. */
export function spawnUpChild(args: ChildArgs): UpChild {
  const child = spawn(process.execPath, [__filename, JSON.stringify(args)], {
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    output: () => out,
    running: () => child.exitCode === null,
    kill: async () => {
      const pid = child.pid as number;
      // Frozen first, so that the engine starts no plugin between the listing and the kill.
      process.kill(-pid, "SIGSTOP");
      const below = descendantsOf(pid);
      process.kill(-pid, "SIGKILL");
      killProcesses(below);
      await exited;
    },
  };
}

async function main(): Promise<void> {
  const args = JSON.parse(process.argv[2] ?? "{}") as ChildArgs;
  const pulumi = await findPulumi();
  const stateDir = path.join(args.dir, "state");
  const pulumiPkgDir = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
  const env: Record<string, string> = {
    PATH: [pulumi.binDir, pulumiPkgDir, path.dirname(process.execPath), process.env.PATH ?? ""].join(
      path.delimiter,
    ),
    ...offlineEngineEnv(stateDir),
    ...args.env,
  };
  const ws = await LocalWorkspace.create({
    workDir: path.join(args.dir, "work"),
    program: fleetProgram(args),
    pulumiCommand: pulumi.command,
    pulumiHome: path.join(STATE_ROOT, "home"),
    projectSettings: { name: args.projectName, runtime: "nodejs", backend: { url: `file://${stateDir}` } },
    envVars: env,
  });
  const stack = await Stack.select(args.stackName, ws);
  console.log("UP START");
  await stack.up({ color: "never" });
  console.log("UP DONE");
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
