// End to end through the plugin from Java: the generated Java SDK (sdk/java) compiled and installed
// with Maven against com.pulumi:pulumi from Maven Central, a Java program written with it
// (test/engine/java) built into a jar, run by pulumi-language-java (`npm run ensure-java-host`)
// through the real CLI with the plugin found through `plugins.providers`: the shared story of
// test/support/pluginStory.ts against the emulator. Maven's downloads are kept in .tools/m2.
import { strict as assert } from "assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CliProject } from "../support/cliProject";
import { runOk } from "../support/commands";
import { REPO_ROOT } from "../support/engine";
import { pluginStory, type StoryResult } from "../support/pluginStory";
import { readmeInstallLines } from "../support/readmeInstall";

/** Maven's local repository: Maven Central's artifacts and the SDK's build. */
const MAVEN_REPO = path.join(REPO_ROOT, ".tools", "m2");
const PROGRAM = path.join(REPO_ROOT, "test", "engine", "java");

/** The directory of `pulumi-language-java` (scripts/ensure-java-host). */
function findJavaHost(): string {
  const dir = path.join(REPO_ROOT, ".tools", "java-host", "bin");
  if (!fs.existsSync(path.join(dir, "pulumi-language-java"))) {
    throw new Error(`No pulumi-language-java in ${dir}: run \`npm run ensure-java-host\`.`);
  }
  return dir;
}

/** `mvn ARGS` in `cwd`, batch mode, on the test's local repository. */
function maven(cwd: string, ...args: string[]): Promise<unknown> {
  return runOk("mvn", ["-B", "-q", `-Dmaven.repo.local=${MAVEN_REPO}`, ...args], { cwd, timeoutMs: 900_000 });
}

/** Installs the SDK into the local repository from a copy of sdk/java (Maven builds beside the sources). */
async function installSdk(): Promise<void> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "dps-java-sdk-"));
  try {
    fs.cpSync(path.join(REPO_ROOT, "sdk", "java"), work, { recursive: true });
    await maven(work, "install", "-DskipTests");
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

describe("The plugin from a Java program (Java SDK built with Maven, pulumi-language-java, real CLI + emulator)", function () {
  this.timeout(1_200_000);

  pluginStory("java", async (connection) => {
    const host = findJavaHost();
    // The program depends on the README's coordinate, which the SDK's build installs.
    const coordinate = readmeInstallLines().find((l) => l.language === "Java")?.coordinate;
    const [groupId, artifactId, version] = coordinate?.split(":") ?? [];
    assert.ok(groupId && artifactId && version, `the README's Java line: ${coordinate}`);
    await installSdk();
    const runtime = { name: "java", options: { binary: "target/app.jar" } };
    const project = await CliProject.create("plugin-java", runtime, [host]);
    fs.cpSync(PROGRAM, project.dir, { recursive: true });
    await maven(
      project.dir,
      "package",
      `-Dsdk.groupId=${groupId}`,
      `-Dsdk.artifactId=${artifactId}`,
      `-Dsdk.version=${version}`,
    );
    // What pulumi-language-java tells the engine the program needs: the plugin, its version, and
    // where to download it (the SDK's plugin.json, found on the program's classpath).
    const { stdout } = await runOk(
      "java",
      ["-cp", path.join("target", "app.jar"), "com.pulumi.bootstrap.internal.Main", "packages"],
      { cwd: project.dir },
    );
    const packages = Object.values(JSON.parse(stdout) as Record<string, Record<string, unknown>>);
    const schema = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "schema.json"), "utf8")) as {
      pluginDownloadURL: string;
    };
    assert.deepEqual(
      packages.map((p) => [p.name, p.version, p.server]),
      [["dps-enrollments", version, schema.pluginDownloadURL]],
      stdout,
    );
    await project.configureEmulator(connection);
    const run = async (...args: string[]): Promise<StoryResult> => {
      const r = await project.run(...args);
      return { code: r.code, text: r.stdout + r.stderr };
    };
    return {
      setProgram: (values) =>
        fs.writeFileSync(path.join(project.dir, "program.json"), JSON.stringify(values)),
      up: () => run("up", "--yes", "--skip-preview"),
      previewDiff: () => run("preview", "--diff"),
      refresh: () => run("refresh", "--yes", "--skip-preview"),
      exportState: () => project.exportState(),
      destroy: () => run("destroy", "--yes", "--skip-preview"),
      dispose: () => project.dispose(),
    };
  });
});
