/**
 * A {@link StoryDriver} for a language whose program runs as an Automation API inline program in a
 * process of its own (Go, Python): each step writes a request file (the operation, the stack's work
 * directory, the CLI's root, the plugin's directory, the config and the program's values) and runs
 * the language's driver once on it; `pulumi stack export` runs through the CLI. Each stack has its
 * own temporary directory, `PULUMI_HOME` and file backend, removed by `dispose`.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PLUGIN_DIR } from "./cliProject";
import { runCommand } from "./commands";
import { findPulumi, offlineEngineEnv } from "./engine";
import { installPluginFile, pathWithoutNode } from "./pluginDist";
import type { StoryConnection, StoryDriver, StoryProgram, StoryResult } from "./pluginStory";

/** How one language runs a request. */
export interface RequestRunner {
  /** Short name, for the temporary directory. */
  name: string;
  /** The command that runs one request file: executable and arguments (the file is appended). */
  command: [string, ...string[]];
  /** Extra environment for the command (PATH is the test's, the plugin directory first). */
  env?: NodeJS.ProcessEnv;
  /**
   * `repository` (the default): this repository's bin/ on PATH, Node with it; `installed`: the
   * standalone plugin's tarball installed with `pulumi plugin install --file` into the stack's
   * `PULUMI_HOME`, and no Node on PATH (what a Go team has).
   */
  plugin?: "repository" | "installed";
}

/**
 * Opens a stack driven by `runner` with the emulator's connection as its config.
 * @throws when the `init` request (stack creation and config) fails, with its output
 */
export async function openRequestDriver(
  runner: RequestRunner,
  connection: StoryConnection,
): Promise<StoryDriver> {
  const pulumi = await findPulumi();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `dps-${runner.name}-`));
  const workDir = path.join(root, "work");
  fs.mkdirSync(workDir);
  fs.mkdirSync(path.join(root, "state"));
  const pulumiHome = path.join(root, "home");
  const installed = runner.plugin === "installed";
  if (installed) await installPluginFile(path.join(pulumi.binDir, "pulumi"), pulumiHome);
  const env: NodeJS.ProcessEnv = {
    PULUMI_HOME: pulumiHome,
    ...offlineEngineEnv(path.join(root, "state")),
    NO_COLOR: "1",
    // The engine finds the plugin in PULUMI_HOME (installed), or as pulumi-resource-dps-enrollments
    // on PATH (docs/plugin.md).
    PATH: installed
      ? pathWithoutNode([pulumi.binDir])
      : [PLUGIN_DIR, pulumi.binDir, path.dirname(process.execPath), process.env.PATH ?? ""].join(
          path.delimiter,
        ),
    ...runner.env,
  };
  let program: StoryProgram | undefined;
  const call = async (op: string, extra: Record<string, unknown> = {}): Promise<StoryResult> => {
    const request = path.join(root, "request.json");
    fs.writeFileSync(
      request,
      JSON.stringify({
        op,
        workDir,
        pulumiRoot: path.dirname(pulumi.binDir),
        pluginDir: installed ? "" : PLUGIN_DIR,
        program: program ?? { registrationId: `${runner.name}-unused`, tags: {} },
        ...extra,
      }),
    );
    const [file, ...args] = runner.command;
    const r = await runCommand(file, [...args, request], { env, timeoutMs: 300_000 });
    return { code: r.code, text: r.stdout + r.stderr };
  };
  const init = await call("init", {
    config: {
      "dps-enrollments:connectionString": { value: connection.connectionString, secret: true },
      "dps-enrollments:endpoint": { value: connection.endpoint },
      "dps-enrollments:caCertificate": { value: connection.caCertificate },
    },
  });
  if (init.code !== 0) throw new Error(`${runner.name} init failed:\n${init.text}`);
  return {
    setProgram: (next) => {
      program = next;
    },
    up: () => call("up"),
    previewDiff: () => call("preview"),
    refresh: () => call("refresh"),
    exportState: async () => {
      const r = await runCommand(
        path.join(pulumi.binDir, "pulumi"),
        ["stack", "export", "--stack", "dev", "--non-interactive"],
        { cwd: workDir, env },
      );
      if (r.code !== 0) throw new Error(`pulumi stack export failed:\n${r.stdout}\n${r.stderr}`);
      const parsed = JSON.parse(r.stdout) as { deployment: { resources?: [] } };
      return { text: r.stdout, resources: parsed.deployment.resources ?? [] };
    },
    destroy: () => call("destroy"),
    dispose: async () => fs.rmSync(root, { recursive: true, force: true }),
  };
}
