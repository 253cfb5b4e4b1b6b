// End to end through the plugin from Python: the generated Python SDK (sdk/python) built into a
// wheel (`python -m build`, as its pyproject.toml says) and installed with pip into the virtual
// environment of `npm run ensure-python` (`pulumi` from PyPI), a program run as the Python
// Automation API's inline program (test/engine/python/story.py: no Python language host), once per
// step of the shared story (test/support/pluginStory.ts); the real CLI, the plugin bin, the emulator.
import { strict as assert } from "assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runOk } from "../support/commands";
import { REPO_ROOT } from "../support/engine";
import { pluginStory } from "../support/pluginStory";
import { readmeInstallLines } from "../support/readmeInstall";
import { openRequestDriver } from "../support/requestDriver";

const VENV = path.join(REPO_ROOT, ".tools", "python-venv");
const STORY = path.join(REPO_ROOT, "test", "engine", "python", "story.py");

/** The venv's Python. */
function findVenvPython(): string {
  const python = path.join(VENV, "bin", "python");
  if (!fs.existsSync(python)) throw new Error(`No ${python}: run \`npm run ensure-python\`.`);
  return python;
}

/**
 * Builds the SDK's wheel from a copy of sdk/python (the build writes beside its sources) and
 * installs it into the venv by the README's install line, the wheel's folder standing in for PyPI;
 * its requirements are met by what is there (`pip check`).
 * @returns the wheel's file name
 */
async function installWheel(python: string): Promise<string> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "dps-wheel-"));
  try {
    const source = path.join(work, "python");
    fs.cpSync(path.join(REPO_ROOT, "sdk", "python"), source, { recursive: true });
    const dist = path.join(work, "dist");
    await runOk(python, ["-m", "build", "--wheel", "--outdir", dist, source], { timeoutMs: 600_000 });
    const wheels = fs.readdirSync(dist).filter((f) => f.endsWith(".whl"));
    assert.equal(wheels.length, 1, `one wheel: ${wheels.join(", ")}`);
    const line = readmeInstallLines().find((l) => l.language === "Python")?.command ?? "";
    assert.ok(line.startsWith("pip install "), `the README's Python line: ${line}`);
    const local = ["--no-index", "--find-links", dist, "--force-reinstall", "--no-deps", "--quiet"];
    await runOk(python, ["-m", ...line.split(" "), ...local]);
    await runOk(python, ["-m", "pip", "check"]);
    return wheels[0];
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

describe("The plugin from a Python program (SDK wheel, Python Automation API, real CLI + emulator)", function () {
  this.timeout(900_000);

  pluginStory("python", async (connection) => {
    const python = findVenvPython();
    const version = (
      JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as { version: string }
    ).version;
    const wheel = await installWheel(python);
    assert.equal(
      wheel,
      `pulumi_dps_enrollments-${version}-py3-none-any.whl`,
      "the wheel carries package.json's version",
    );
    return openRequestDriver({ name: "python", command: [python, STORY] }, connection);
  });
});
