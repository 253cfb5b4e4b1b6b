// End to end through the plugin from Go: a program written with the generated Go SDK (sdk/go), run
// as the Go Automation API's inline program (no Go language host) by test/engine/go, which
// `npm run ensure-go-engine` builds into .tools/engine-go. Each step of the shared story
// (test/support/pluginStory.ts) runs that binary once; the real CLI, the emulator, and the standalone
// plugin as a Go team installs it: its tarball (`npm run dist`) installed with
// `pulumi plugin install --file`, no Node on PATH.
import * as fs from "node:fs";
import * as path from "node:path";
import { REPO_ROOT } from "../support/engine";
import { pluginStory } from "../support/pluginStory";
import { openRequestDriver } from "../support/requestDriver";

/** The binary `scripts/ensure-go-engine` builds. */
function findEngineGo(): string {
  const binary = path.join(REPO_ROOT, ".tools", "engine-go", "engine-go");
  if (!fs.existsSync(binary)) throw new Error(`No ${binary}: run \`npm run ensure-go-engine\`.`);
  return binary;
}

describe("The plugin from a Go program (generated Go SDK, Go Automation API, real CLI + emulator)", function () {
  this.timeout(600_000);

  pluginStory("go", (connection) =>
    openRequestDriver({ name: "go", command: [findEngineGo()], plugin: "installed" }, connection),
  );
});
