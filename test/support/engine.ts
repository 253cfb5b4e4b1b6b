/**
 * A small harness around the real Pulumi CLI and engine, shared by the end-to-end tests and the demo.
 *
 * Programs run *inline* through the Node Automation API: the Automation API serves the
 * LanguageRuntime gRPC service inside this Node process and hands its address to the CLI
 * (`--client=127.0.0.1:PORT`), so no `pulumi-language-nodejs` binary is needed. The CLI, the engine
 * and the dynamic-provider plugin (`pulumi-resource-pulumi-nodejs`) are the real ones. Every stack
 * gets its own file backend and working directory under `.pulumi-state/` (ignored by git).
 *
 * The CLI is found like `scripts/ensure-pulumi` does: a `pulumi` on PATH or in `$PULUMI_HOME/bin` of
 * at least {@link PINNED_PULUMI_VERSION}, else the build in `.tools/pulumi/bin`. Run
 * `npm run ensure-pulumi` first.
 *
 * @packageDocumentation
 */
import { execFile, execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
  ConfigMap,
  Deployment,
  EngineEvent,
  LocalWorkspace,
  OpMap,
  OpType,
  OutputMap,
  PulumiCommand,
  PulumiFn,
  Stack,
  UpdateSummary,
} from "@pulumi/pulumi/automation";
import { EXIT_BOUND_MS, killProcesses, processesWorkingIn, waitUntilGone } from "./processes";

/** The Pulumi CLI version `scripts/ensure-pulumi` builds (the minimum accepted from PATH). */
export const PINNED_PULUMI_VERSION = "3.274.1";

/** Root of this repository (the harness lives in `test/support/` or `dist/test/support/`). */
export const REPO_ROOT: string = findRepoRoot(__dirname);

/** Directory under which every harness stack keeps its backend and working directory. */
export const STATE_ROOT: string = path.join(REPO_ROOT, ".pulumi-state");

/** Passphrase used for stack secrets unless {@link EngineStackOptions.passphrase} overrides it. */
export const DEFAULT_PASSPHRASE = "pulumi-dps-enrollments-test";

/**
 * The environment every test engine runs with: a file backend at `stateDir`, a passphrase for
 * secrets, and nothing that reaches the network (no update check, no plugin download) or waits for
 * a confirmation.
 *
 * @param stateDir folder of the file backend
 * @param passphrase passphrase of the stack's secrets provider
 */
export function offlineEngineEnv(
  stateDir: string,
  passphrase: string = DEFAULT_PASSPHRASE,
): Record<string, string> {
  return {
    PULUMI_BACKEND_URL: `file://${stateDir}`,
    PULUMI_CONFIG_PASSPHRASE: passphrase,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_SKIP_CONFIRMATIONS: "true",
  };
}

function findRepoRoot(start: string): string {
  let dir = start;
  for (;;) {
    const pkg = path.join(dir, "package.json");
    if (fs.existsSync(pkg)) {
      const name: unknown = (JSON.parse(fs.readFileSync(pkg, "utf8")) as { name?: unknown }).name;
      if (name === "pulumi-dps-enrollments") return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`cannot find the repository root above ${start}`);
    dir = parent;
  }
}

/** Where the engine's binaries come from. */
export interface PulumiInstallation {
  /** The Automation API handle on the CLI. */
  command: PulumiCommand;
  /** Directory holding the `pulumi` binary. */
  binDir: string;
  /** The version the CLI reports, without a leading `v`. */
  version: string;
}

let installation: Promise<PulumiInstallation> | undefined;

/**
 * Finds the Pulumi CLI, in the order `scripts/ensure-pulumi` uses: `pulumi` on PATH, then
 * `$PULUMI_HOME/bin/pulumi` (default `~/.pulumi/bin`), when at least {@link PINNED_PULUMI_VERSION};
 * else our build in `.tools/pulumi/bin/pulumi`. Cached per process.
 *
 * @throws when neither is usable; the message says to run `npm run ensure-pulumi`.
 */
export function findPulumi(): Promise<PulumiInstallation> {
  installation ??= locatePulumi();
  return installation;
}

async function locatePulumi(): Promise<PulumiInstallation> {
  const toolsRoot = path.join(REPO_ROOT, ".tools", "pulumi");
  const toolsBin = path.join(toolsRoot, "bin");
  const onPath = whichOnPath("pulumi");
  if (onPath !== undefined && realDir(onPath) !== realDir(path.join(toolsBin, "pulumi"))) {
    const found = await usable(() => PulumiCommand.get());
    if (found) return { command: found, binDir: path.dirname(onPath), version: String(found.version) };
  }
  // Where the official installer puts it, when not on PATH.
  const homeRoot = process.env.PULUMI_HOME ?? path.join(os.homedir(), ".pulumi");
  const homeCli = path.join(homeRoot, "bin", "pulumi");
  if (fs.existsSync(homeCli) && realDir(homeCli) !== realDir(path.join(toolsBin, "pulumi"))) {
    const found = await usable(() => PulumiCommand.get({ root: homeRoot }));
    if (found) return { command: found, binDir: path.dirname(homeCli), version: String(found.version) };
  }
  if (fs.existsSync(path.join(toolsBin, "pulumi"))) {
    const found = await usable(() => PulumiCommand.get({ root: toolsRoot }));
    if (found) return { command: found, binDir: toolsBin, version: String(found.version) };
  }
  throw new Error(
    `No Pulumi CLI >= ${PINNED_PULUMI_VERSION} on PATH and none in ${toolsBin}: run \`npm run ensure-pulumi\`.`,
  );
}

/** The CLI from `get`, if it runs and is at least the pinned version. */
async function usable(get: () => Promise<PulumiCommand>): Promise<PulumiCommand | undefined> {
  try {
    const command = await get();
    return command.version !== null && command.version.compare(PINNED_PULUMI_VERSION) >= 0
      ? command
      : undefined;
  } catch {
    return undefined;
  }
}

function realDir(file: string): string {
  try {
    return path.dirname(fs.realpathSync(file));
  } catch {
    return path.dirname(file);
  }
}

function whichOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** A stack configuration value: a plain string, or `{ value, secret: true }` for a secret. */
export type ConfigInput = string | { value: string; secret?: boolean };

/** Options for {@link EngineStack.create}. */
export interface EngineStackOptions {
  /** The inline program to run (it can be swapped later with {@link EngineStack.setProgram}). */
  program: PulumiFn;
  /** Project name; default `"engine-test"`. Config keys without a namespace belong to it. */
  projectName?: string;
  /** Stack name; default `"dev"`. */
  stackName?: string;
  /** Stack config, keyed like the CLI (`"dps:connectionString"`, or a bare key for the project). */
  config?: Record<string, ConfigInput>;
  /** Passphrase for the stack's secrets; default {@link DEFAULT_PASSPHRASE}. */
  passphrase?: string;
  /** Extra environment for every CLI command (and so for the provider plugin). */
  env?: Record<string, string>;
  /** Directories put first on PATH for every CLI command (e.g. where the engine finds a plugin). */
  binDirs?: string[];
  /** Called with every chunk of CLI output (for example to echo it in the demo). */
  onOutput?: (text: string) => void;
  /** `--color` for the CLI; default `"never"` so output can be asserted on. */
  color?: "always" | "never" | "raw" | "auto";
  /** Directory to create the stack's directory in; default {@link STATE_ROOT} (the demo uses `.demo/`). */
  stateRoot?: string;
  /** Keep the stack directory on {@link EngineStack.dispose} (to inspect it). */
  keep?: boolean;
  /**
   * The state backend's URL (e.g. `azblob://state?domain=...`, its credentials in {@link env});
   * default a file backend in the stack's own directory. The stack stays there on dispose.
   */
  backendUrl?: string;
  /**
   * The Automation API to run the inline program with; default this repository's. A program whose
   * packages come from another installation (a user's project) runs on that project's `@pulumi/pulumi`:
   * one copy of it per process, or its gRPC messages fail to serialize.
   */
  automation?: AutomationApi;
}

/** What {@link EngineStack.create} takes of an `@pulumi/pulumi/automation` module. */
export type AutomationApi = Pick<typeof import("@pulumi/pulumi/automation"), "LocalWorkspace" | "Stack">;

/** One resource step the engine reported (from `resourcePreEvent`s). */
export interface StepInfo {
  /** The operation: `create`, `update`, `same`, `replace`, `create-replacement`, `delete`, `refresh`, ... */
  op: OpType;
  /** The resource URN. */
  urn: string;
  /** The resource type token, e.g. `pulumi-nodejs:dynamic/test:Noop`. */
  type: string;
  /** The resource name (the last URN segment). */
  name: string;
  /**
   * Top-level properties that differ, when the engine reports them. Dynamic providers report only
   * `changes`/`replaces`, so for them this lists at most the replacing keys.
   */
  diffs: string[];
}

/** What every operation returns. */
export interface OperationResult {
  /** The text the user would see (the CLI's standard output, without colour). */
  output: string;
  /** The CLI's standard error. */
  stderr: string;
  /**
   * The engine's per-resource steps, in event order; the stack resource and provider resources
   * (`pulumi:providers:*`) are left out.
   */
  steps: StepInfo[];
  /** Wall-clock milliseconds the operation took. */
  ms: number;
}

/** Result of {@link EngineStack.preview}. */
export interface PreviewOutcome extends OperationResult {
  /** Counts per operation, as the CLI summarises them (`{ create: 3 }`, `{ same: 1, update: 1 }`). */
  changeSummary: OpMap;
}

/** Result of {@link EngineStack.up}, {@link EngineStack.refresh} and {@link EngineStack.destroy}. */
export interface UpdateOutcome extends OperationResult {
  /** The engine's update summary (`resourceChanges` counts, result, ...). */
  summary: UpdateSummary;
  /** Stack outputs after `up` (empty for refresh and destroy). */
  outputs: OutputMap;
}

/** A failed CLI operation, with what the user saw. */
export class EngineCommandError extends Error {
  /**
   * @param operation the operation that failed (`preview`, `up`, ...)
   * @param output the CLI's standard output up to the failure
   * @param stderr the CLI's standard error
   * @param steps the steps reported before the failure
   * @param cause the Automation API's error
   */
  constructor(
    readonly operation: string,
    readonly output: string,
    readonly stderr: string,
    readonly steps: StepInfo[],
    override readonly cause: unknown,
  ) {
    super(`pulumi ${operation} failed: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = "EngineCommandError";
  }
}

let stackCounter = 0;

/**
 * One stack on a private file backend, driven through the real CLI.
 *
 * ```ts
 * const s = await EngineStack.create({ program: async () => { new Noop("a", { value: "1" }); } });
 * try {
 *   const p = await s.preview();   // p.changeSummary.create === 1, p.output is what the user sees
 *   await s.up();
 *   await s.destroy();
 * } finally {
 *   await s.dispose();
 * }
 * ```
 */
export class EngineStack {
  /** Every line of output of every operation so far, for a whole-story assertion or a failure dump. */
  transcript = "";

  private constructor(
    /** The Automation API stack. */
    readonly stack: Stack,
    /** The stack's own directory (backend in `state/`, workspace in `work/`). */
    readonly dir: string,
    /** The CLI in use. */
    readonly pulumi: PulumiInstallation,
    private readonly opts: EngineStackOptions,
    /** The environment of every CLI command (backend, passphrase, PATH): another process opens the stack with it. */
    readonly env: Record<string, string>,
    /** The `PULUMI_HOME` of every CLI command. */
    readonly pulumiHome: string,
  ) {}

  /**
   * Creates a fresh stack in a new directory under `.pulumi-state/` (or `stateRoot`, which must be inside
   * the repository so the plugin resolves its modules) and sets its config.
   *
   * @param opts program, names, config and environment
   */
  static async create(opts: EngineStackOptions): Promise<EngineStack> {
    const pulumi = await findPulumi();
    ensureSelfLink();
    const projectName = opts.projectName ?? "engine-test";
    const stackName = opts.stackName ?? "dev";
    const root = opts.stateRoot ?? STATE_ROOT;
    fs.mkdirSync(root, { recursive: true });
    const dir = fs.mkdtempSync(path.join(root, `${projectName}-${process.pid}-${++stackCounter}-`));
    const stateDir = path.join(dir, "state");
    const workDir = path.join(dir, "work");
    fs.mkdirSync(stateDir);
    fs.mkdirSync(workDir);
    const env = engineEnv(pulumi, stateDir, opts);
    const pulumiHome = path.join(root, "home");
    const api = opts.automation ?? { LocalWorkspace, Stack };
    const ws = await api.LocalWorkspace.create({
      // The engine starts plugins in the workspace directory; it is inside the repository, so
      // `@pulumi/pulumi` and `pulumi-dps-enrollments` resolve from the repository's node_modules.
      workDir,
      program: opts.program,
      pulumiCommand: pulumi.command,
      pulumiHome,
      projectSettings: {
        name: projectName,
        runtime: "nodejs",
        backend: { url: env.PULUMI_BACKEND_URL },
      },
      envVars: env,
    });
    const stack = await api.Stack.create(stackName, ws);
    const harness = new EngineStack(stack, dir, pulumi, opts, env, pulumiHome);
    if (opts.config) await harness.setConfig(opts.config);
    return harness;
  }

  /** The stack name. */
  get name(): string {
    return this.stack.name;
  }

  /** Replaces the inline program used by every following operation (preview, up, refresh, destroy). */
  setProgram(program: PulumiFn): void {
    this.stack.workspace.program = program;
  }

  /**
   * Sets stack config values (secrets encrypted with the stack's passphrase).
   *
   * @param config keys like the CLI's (`"dps:connectionString"`), values plain or `{ value, secret }`
   */
  async setConfig(config: Record<string, ConfigInput>): Promise<void> {
    const map: ConfigMap = {};
    for (const [key, v] of Object.entries(config)) {
      map[key] = typeof v === "string" ? { value: v } : { value: v.value, secret: v.secret ?? false };
    }
    await this.stack.setAllConfig(map);
  }

  /** Removes stack config keys. */
  async removeConfig(...keys: string[]): Promise<void> {
    await this.stack.removeAllConfig(keys);
  }

  /** `pulumi preview`: what would change, without changing anything. */
  async preview(opts: { diff?: boolean; refresh?: boolean } = {}): Promise<PreviewOutcome> {
    return this.run("preview", async (common) => {
      const r = await this.stack.preview({ ...common, diff: opts.diff, refresh: opts.refresh });
      return { stdout: r.stdout, stderr: r.stderr, extra: { changeSummary: r.changeSummary } };
    });
  }

  /** `pulumi up`: applies the program. */
  async up(opts: { diff?: boolean; refresh?: boolean } = {}): Promise<UpdateOutcome> {
    return this.run("up", async (common) => {
      const r = await this.stack.up({ ...common, diff: opts.diff, refresh: opts.refresh });
      return { stdout: r.stdout, stderr: r.stderr, extra: { summary: r.summary, outputs: r.outputs } };
    });
  }

  /** `pulumi refresh`: reads every resource back and records what the service really has. */
  async refresh(): Promise<UpdateOutcome> {
    return this.run("refresh", async (common) => {
      const r = await this.stack.refresh(common);
      return { stdout: r.stdout, stderr: r.stderr, extra: { summary: r.summary, outputs: {} } };
    });
  }

  /** `pulumi destroy`: deletes every resource of the stack (the stack itself stays). */
  async destroy(): Promise<UpdateOutcome> {
    return this.run("destroy", async (common) => {
      const r = await this.stack.destroy(common);
      return { stdout: r.stdout, stderr: r.stderr, extra: { summary: r.summary, outputs: {} } };
    });
  }

  /**
   * `pulumi stack export`, exactly as a user would run it: secrets stay encrypted. (The Automation
   * API's own `exportStack` passes `--show-secrets`; see {@link EngineStack.exportStackShowingSecrets}.)
   */
  async exportStack(): Promise<Deployment> {
    return JSON.parse(await this.exportStackText()) as Deployment;
  }

  /** The text of `pulumi stack export` (secrets encrypted), to search for leaked secrets. */
  async exportStackText(): Promise<string> {
    return (await this.cli(["stack", "export", "--stack", this.name])).stdout;
  }

  /** `pulumi stack export --show-secrets`: the checkpoint with secrets decrypted. */
  async exportStackShowingSecrets(): Promise<Deployment> {
    return this.stack.exportStack();
  }

  /**
   * Runs any other CLI command in the stack's workspace, with the harness environment.
   *
   * @param args arguments after `pulumi`, e.g. `["stack", "output", "--json"]`
   * @throws when the command exits non-zero (the error message carries its stderr)
   */
  async cli(args: string[]): Promise<{ stdout: string; stderr: string }> {
    const env = { ...process.env, PULUMI_HOME: this.pulumiHome, ...this.env };
    return new Promise((resolve, reject) => {
      execFile(
        this.pulumi.command.command,
        args,
        { cwd: this.stack.workspace.workDir, env, maxBuffer: 64 * 1024 * 1024 },
        (err, stdout, stderr) => {
          if (err) reject(new Error(`pulumi ${args.join(" ")} failed: ${err.message}\n${stderr}`));
          else resolve({ stdout, stderr });
        },
      );
    });
  }

  /** Current stack outputs. */
  async outputs(): Promise<OutputMap> {
    return this.stack.outputs();
  }

  /**
   * Deletes the stack's directory (workspace, and the backend when a file one). Does not destroy
   * resources: call {@link EngineStack.destroy} first when the program created real ones.
   *
   * @throws when a process still runs in the stack's directory (a plugin outliving its engine, e.g.
   *   one whose CLI was killed): it is ended and the directory deleted first, and the error names it.
   */
  async dispose(): Promise<void> {
    // The engine starts its plugins in the workspace; a CLI that exits ends them, a killed one does not.
    const left = await waitUntilGone(() => processesWorkingIn(this.dir), EXIT_BOUND_MS);
    killProcesses(left);
    if (!this.opts.keep) fs.rmSync(this.dir, { recursive: true, force: true });
    if (left.length > 0) {
      const list = left.map((p) => `${p.pid} ${p.args}`).join("\n  ");
      throw new Error(`processes outlived their engine in ${this.dir} (now ended):\n  ${list}`);
    }
  }

  private async run<T extends object>(
    operation: string,
    body: (common: {
      color: "always" | "never" | "raw" | "auto";
      onOutput: (text: string) => void;
      onEvent: (event: EngineEvent) => void;
    }) => Promise<{ stdout: string; stderr: string; extra: T }>,
  ): Promise<OperationResult & T> {
    let output = "";
    const steps: StepInfo[] = [];
    const started = Date.now();
    this.transcript += `\n$ pulumi ${operation}\n`;
    const common = {
      color: this.opts.color ?? "never",
      onOutput: (text: string): void => {
        output += text;
        this.transcript += text;
        this.opts.onOutput?.(text);
      },
      onEvent: (event: EngineEvent): void => {
        const m = event.resourcePreEvent?.metadata;
        if (m === undefined || m.type === "pulumi:pulumi:Stack" || m.type.startsWith("pulumi:providers:"))
          return;
        steps.push({
          op: m.op,
          urn: m.urn,
          type: m.type,
          name: m.urn.split("::").pop() ?? m.urn,
          diffs: m.diffs ?? [],
        });
      },
    };
    try {
      const r = await body(common);
      return { output: output || r.stdout, stderr: r.stderr, steps, ms: Date.now() - started, ...r.extra };
    } catch (err) {
      const stderr = typeof err === "object" && err !== null && "commandResult" in err ? stderrOf(err) : "";
      throw new EngineCommandError(operation, output, stderr, steps, err);
    }
  }
}

function stderrOf(err: object): string {
  const result: unknown = (err as { commandResult?: unknown }).commandResult;
  if (typeof result === "object" && result !== null && "stderr" in result) {
    const s: unknown = (result as { stderr: unknown }).stderr;
    return typeof s === "string" ? s : "";
  }
  return "";
}

let linked = false;

/**
 * Makes sure `node_modules/pulumi-dps-enrollments` links to this repository (what `npm run build`
 * does via scripts/link-self.js). The serialized provider stub requires the package by name from a
 * module without a file name, so Node's self-reference does not apply and the plugin needs the link;
 * an `npm install` after the build removes it.
 */
function ensureSelfLink(): void {
  if (linked) return;
  // A child process: the script exits early when the link is already right.
  execFileSync(process.execPath, [path.join(REPO_ROOT, "scripts", "link-self.js")], { stdio: "inherit" });
  linked = true;
}

/** The environment every CLI command of a harness stack gets. */
function engineEnv(
  pulumi: PulumiInstallation,
  stateDir: string,
  opts: EngineStackOptions,
): Record<string, string> {
  // The dynamic-provider plugin is a shell script in the @pulumi/pulumi package root; ensure-pulumi
  // copies it beside our CLI build, and this makes it findable with any CLI.
  const pulumiPkgDir = path.dirname(require.resolve("@pulumi/pulumi/package.json", { paths: [REPO_ROOT] }));
  const nodeDir = path.dirname(process.execPath);
  return {
    PATH: [...(opts.binDirs ?? []), pulumi.binDir, pulumiPkgDir, nodeDir, process.env.PATH ?? ""].join(
      path.delimiter,
    ),
    ...offlineEngineEnv(stateDir, opts.passphrase),
    ...(opts.backendUrl === undefined ? {} : { PULUMI_BACKEND_URL: opts.backendUrl }),
    ...opts.env,
  };
}

/**
 * Runs `body` with a fresh {@link EngineStack} and disposes of it afterwards (destroying first when
 * the body failed, so resources do not leak into the emulator or a real service).
 *
 * @param opts stack options
 * @param body the work to do with the stack
 */
export async function withStack<T>(
  opts: EngineStackOptions,
  body: (s: EngineStack) => Promise<T>,
): Promise<T> {
  const s = await EngineStack.create(opts);
  try {
    return await body(s);
  } catch (err) {
    await s.destroy().catch(() => undefined);
    throw err;
  } finally {
    await s.dispose();
  }
}
