// The plugin serves every resource of the list without loading the Pulumi SDK (only its generated
// protocol stubs): the dynamic faces the descriptors name load it, and the plugin never runs them. A
// face module that pulled the SDK in would cost every plugin start its load (and the bundle its size).
import { strict as assert } from "assert";
import * as path from "node:path";
import { runOk } from "../support/commands";
import { REPO_ROOT } from "../support/engine";

describe("The plugin's footprint", () => {
  it("loading the plugin's server loads no module of the Pulumi SDK but its protocol stubs", async () => {
    const server = path.join(REPO_ROOT, "dist", "provider", "plugin", "server.js");
    const { stdout } = await runOk(process.execPath, [
      "-e",
      "require(process.argv[1]); console.log(JSON.stringify(Object.keys(require.cache)))",
      server,
    ]);
    const loaded = (JSON.parse(stdout) as string[]).filter((file) => file.includes("@pulumi/pulumi/"));
    const sdk = loaded.filter((file) => !/@pulumi\/pulumi\/proto\//.test(file));
    assert.deepEqual(sdk, [], "SDK modules the plugin loads");
    assert.ok(loaded.length > 0, "the protocol stubs are loaded");
  });
});
