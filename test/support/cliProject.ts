/**
 * A Pulumi project on disk driven through the real `pulumi` CLI, for programs the Automation API's
 * inline mode cannot run (Pulumi YAML): its own directory, `PULUMI_HOME` and file backend, every
 * command run with the CLI and the language host on PATH. The plugin is this repository's (through
 * `plugins.providers`, Node 22 on PATH), or the standalone one installed from its tarball or
 * downloaded by the engine (no Node on PATH). {@link CliProject.dispose} destroys what is left and removes it.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { REPO_ROOT, findPulumi, offlineEngineEnv } from "./engine";
import { installPluginFile, pathWithoutNode } from "./pluginDist";
import { emulatorConnection, type EmulatorAddress } from "./service";

/** What a CLI command printed, and how it ended. */
export interface CliResult {
  /** Exit code (0: success). */
  code: number;
  /** Standard output. */
  stdout: string;
  /** Standard error. */
  stderr: string;
}

/** The directory of the plugin executable `pulumi-resource-dps-enrollments` (bin/ of this repository). */
export const PLUGIN_DIR = path.join(REPO_ROOT, "bin");

/**
 * The directory of `pulumi-language-yaml`: on PATH, else the build of `scripts/ensure-yaml`.
 * @throws when there is none, saying what to run.
 */
export function findYamlHost(): string {
  for (const dir of [
    ...(process.env.PATH ?? "").split(path.delimiter),
    path.join(REPO_ROOT, ".tools", "yaml", "bin"),
  ]) {
    if (dir && fs.existsSync(path.join(dir, "pulumi-language-yaml"))) return dir;
  }
  throw new Error("No pulumi-language-yaml on PATH or in .tools/yaml/bin: run `npm run ensure-yaml`.");
}

/** How a {@link CliProject} gets the plugin and what its commands see. */
export interface CliProjectOptions {
  /**
   * `repository`: this repository's bin/ through `plugins.providers` (the default; Node on PATH);
   * `installed`: whatever the project's `PULUMI_HOME` holds, the tarball installed with
   * `pulumi plugin install --file` unless {@link acquire} (no `plugins.providers`, no Node on PATH).
   */
  plugin?: "repository" | "installed";
  /**
   * With `plugin: "installed"`: install nothing and leave automatic plugin acquisition on, so the
   * engine downloads the plugin the program names (what a user's first `pulumi up` does).
   */
  acquire?: boolean;
}

/** A project's runtime: its name, or its name and options (`binary` for Java, say). */
export type ProjectRuntime = string | { name: string; options: Record<string, string> };

/** The `runtime:` lines of Pulumi.yaml. */
function runtimeYaml(runtime: ProjectRuntime): string {
  if (typeof runtime === "string") return `runtime: ${runtime}\n`;
  const options = Object.entries(runtime.options).map(([k, v]) => `    ${k}: ${JSON.stringify(v)}\n`);
  return `runtime:\n  name: ${runtime.name}\n  options:\n${options.join("")}`;
}

/** A project directory with one stack, on a file backend of its own. */
export class CliProject {
  private constructor(
    /** The project directory (Pulumi.yaml). */
    readonly dir: string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly pulumi: string,
    private readonly pluginPath: boolean,
  ) {}

  /** The project's PULUMI_HOME (its plugins, its credentials). */
  get pulumiHome(): string {
    return this.env.PULUMI_HOME as string;
  }

  /**
   * A new project `name` of `runtime` with one stack `dev`, the dps-enrollments plugin from this repository.
   * @param name - project name
   * @param runtime - `yaml`, or a runtime with options
   * @param binDirs - extra directories for PATH (the language host)
   * @param opts - where the plugin comes from
   */
  static async create(
    name: string,
    runtime: ProjectRuntime,
    binDirs: string[],
    opts: CliProjectOptions = {},
  ): Promise<CliProject> {
    const pulumi = await findPulumi();
    const root = fs.mkdtempSync(path.join(os.tmpdir(), `dps-cli-${name}-`));
    const dir = path.join(root, "project");
    fs.mkdirSync(dir);
    fs.mkdirSync(path.join(root, "state"));
    const installed = opts.plugin === "installed";
    const pulumiHome = path.join(root, "home");
    const engineEnv: Record<string, string> = offlineEngineEnv(path.join(root, "state"));
    if (opts.acquire) delete engineEnv.PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PATH: installed
        ? pathWithoutNode([pulumi.binDir, ...binDirs])
        : [pulumi.binDir, ...binDirs, path.dirname(process.execPath), process.env.PATH ?? ""].join(
            path.delimiter,
          ),
      PULUMI_HOME: pulumiHome,
      ...engineEnv,
      NO_COLOR: "1",
    };
    if (installed && !opts.acquire) await installPluginFile(path.join(pulumi.binDir, "pulumi"), pulumiHome);
    const project = new CliProject(dir, env, path.join(pulumi.binDir, "pulumi"), !installed);
    project.writeProgram(name, runtime, "");
    await project.ok("stack", "init", "dev");
    return project;
  }

  /**
   * Writes Pulumi.yaml: the project, its runtime, the plugin's path (with the repository's plugin),
   * and `body` (a YAML program's sections).
   */
  writeProgram(name: string, runtime: ProjectRuntime, body: string): void {
    const head =
      `name: ${name}\n${runtimeYaml(runtime)}` +
      (this.pluginPath
        ? `plugins:\n  providers:\n    - name: dps-enrollments\n      path: ${JSON.stringify(PLUGIN_DIR)}\n`
        : "");
    fs.writeFileSync(path.join(this.dir, "Pulumi.yaml"), head + body);
  }

  /** Runs `pulumi ARGS` in the project; never throws for a non-zero exit. */
  run(...args: string[]): Promise<CliResult> {
    return new Promise((resolve) => {
      execFile(
        this.pulumi,
        args.includes("--")
          ? [...args.slice(0, args.indexOf("--")), "--non-interactive", ...args.slice(args.indexOf("--"))]
          : [...args, "--non-interactive"],
        { cwd: this.dir, env: this.env, maxBuffer: 64 * 1024 * 1024, timeout: 300_000 },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
    });
  }

  /** Runs `pulumi ARGS`; throws with its output when it fails. */
  async ok(...args: string[]): Promise<CliResult> {
    const result = await this.run(...args);
    if (result.code !== 0) {
      throw new Error(
        `pulumi ${args.join(" ")} failed (${result.code}):\n${result.stdout}\n${result.stderr}`,
      );
    }
    return result;
  }

  /** Sets stack config `key` (secret when asked). */
  async config(key: string, value: string, secret = false): Promise<void> {
    await this.ok("config", "set", ...(secret ? ["--secret"] : []), key, "--", value);
  }

  /**
   * Sets an emulator's connection as stack config: `namespace:connectionString` (secret),
   * `namespace:endpoint` and `namespace:caCertificate`; by default the plugin's own configuration.
   */
  async configureEmulator(emu: EmulatorAddress, namespace = "dps-enrollments"): Promise<void> {
    for (const [key, value] of Object.entries(emulatorConnection(emu))) {
      await this.config(`${namespace}:${key}`, value, key === "connectionString");
    }
  }

  /** The stack's state (`pulumi stack export`), as text and parsed. */
  async exportState(): Promise<{
    text: string;
    resources: {
      type: string;
      urn: string;
      id?: string;
      inputs?: Record<string, unknown>;
      outputs?: Record<string, unknown>;
    }[];
  }> {
    const { stdout } = await this.ok("stack", "export");
    const parsed = JSON.parse(stdout) as { deployment: { resources?: [] } };
    return { text: stdout, resources: parsed.deployment.resources ?? [] };
  }

  /** Destroys what the stack still holds and removes the project, its state and its plugins. */
  async dispose(): Promise<void> {
    await this.run("destroy", "--yes", "--skip-preview");
    fs.rmSync(path.dirname(this.dir), { recursive: true, force: true });
  }
}
