// End to end through the plugin from Go: a program written with the generated Go SDK (sdk/go), run
// as the Go Automation API's inline program (no Go language host) by test/engine/go, which
// `npm run ensure-go-engine` builds into .tools/engine-go. Each step of the shared story
// (test/support/pluginStory.ts) runs that binary once; the real CLI, the emulator, and the standalone
// plugin as a Go team installs it: its tarball (`npm run dist`) installed with
// `pulumi plugin install --file`, no Node on PATH.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runCommand } from "../support/commands";
import { REPO_ROOT, findPulumi, offlineEngineEnv } from "../support/engine";
import { installPluginFile, pathWithoutNode } from "../support/pluginDist";
import { pluginStory, type StoryDriver, type StoryProgram, type StoryResult } from "../support/pluginStory";

/** The binary `scripts/ensure-go-engine` builds. */
function findEngineGo(): string {
  const binary = path.join(REPO_ROOT, ".tools", "engine-go", "engine-go");
  if (!fs.existsSync(binary)) throw new Error(`No ${binary}: run \`npm run ensure-go-engine\`.`);
  return binary;
}

describe("The plugin from a Go program (generated Go SDK, Go Automation API, real CLI + emulator)", function () {
  this.timeout(600_000);

  pluginStory("go", async (connection) => {
    const binary = findEngineGo();
    const pulumi = await findPulumi();
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "dps-go-"));
    const workDir = path.join(root, "work");
    fs.mkdirSync(workDir);
    fs.mkdirSync(path.join(root, "state"));
    const pulumiHome = path.join(root, "home");
    await installPluginFile(path.join(pulumi.binDir, "pulumi"), pulumiHome);
    const env: NodeJS.ProcessEnv = {
      PATH: pathWithoutNode([pulumi.binDir]),
      PULUMI_HOME: pulumiHome,
      ...offlineEngineEnv(path.join(root, "state")),
      NO_COLOR: "1",
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
          pluginDir: "",
          program: program ?? { registrationId: "go-unused", tags: {} },
          ...extra,
        }),
      );
      const r = await runCommand(binary, [request], { env, timeoutMs: 300_000 });
      return { code: r.code, text: r.stdout + r.stderr };
    };
    const init = await call("init", {
      config: {
        "dps-enrollments:connectionString": { value: connection.connectionString, secret: true },
        "dps-enrollments:endpoint": { value: connection.endpoint },
        "dps-enrollments:caCertificate": { value: connection.caCertificate },
      },
    });
    if (init.code !== 0) throw new Error(`engine-go init failed:\n${init.text}`);
    const cli = async (...args: string[]) => {
      const r = await runCommand(path.join(pulumi.binDir, "pulumi"), [...args, "--non-interactive"], {
        cwd: workDir,
        env,
      });
      if (r.code !== 0) throw new Error(`pulumi ${args.join(" ")} failed:\n${r.stdout}\n${r.stderr}`);
      return r.stdout;
    };
    const driver: StoryDriver = {
      setProgram: (next) => {
        program = next;
      },
      up: () => call("up"),
      previewDiff: () => call("preview"),
      refresh: () => call("refresh"),
      exportState: async () => {
        const text = await cli("stack", "export", "--stack", "dev");
        const parsed = JSON.parse(text) as { deployment: { resources?: [] } };
        return { text, resources: parsed.deployment.resources ?? [] };
      },
      destroy: () => call("destroy"),
      dispose: async () => fs.rmSync(root, { recursive: true, force: true }),
    };
    return driver;
  });
});
