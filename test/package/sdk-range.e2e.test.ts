// The private parts of `@pulumi/pulumi` the package uses (provider/sdkInternals.ts) at both ends of
// the supported peer range: `@pulumi/pulumi` 3.260.0 (package.json's lowest) and the newest on npm,
// each installed into a fresh directory outside the repository, with the compiled module next to it.
// Under the SDK's own mocks, a resource registered while the module's swaps are on must go through
// both (the SDK still calls them), and each must be restored after. Needs the npm registry.
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO_ROOT } from "../support/engine";

/** The lowest `@pulumi/pulumi` of the peer range, and the newest. */
const VERSIONS = ["3.260.0", "latest"];

/** Registers one resource under mocks with both swaps on, and prints what it saw. */
const CHECK_JS = `
const pulumi = require("@pulumi/pulumi");
const rpc = require("@pulumi/pulumi/runtime/rpc");
const internals = require("./sdkInternals.js");
const version = require("./node_modules/@pulumi/pulumi/package.json").version;
pulumi.runtime.setMocks(
  { newResource: (a) => ({ id: a.name + "-id", state: a.inputs }), call: () => ({}) },
  "project", "stack", false,
);
const shapes = internals.sdkInternals();
const seen = { transferProperties: 0, stackTrace: 0 };
const before = { transferProperties: rpc.transferProperties, stackTrace: pulumi.Resource.stackTrace };
const restoreTransfer = internals.swapTransferProperties((original) => (onto, label, props) => {
  seen.transferProperties++;
  return original(onto, label, props);
});
const restoreTrace = internals.swapStackTrace((original) => function (skip) {
  seen.stackTrace++;
  return original.call(this, skip + 1);
});
let thing;
try {
  thing = new pulumi.CustomResource("test:index:Thing", "thing", { value: "v" });
} finally {
  restoreTransfer();
  restoreTrace();
}
const restored = rpc.transferProperties === before.transferProperties && pulumi.Resource.stackTrace === before.stackTrace;
thing.urn.apply((urn) => {
  console.log(JSON.stringify({ version, shapes, seen, restored, urn }));
});
`;

describe("@pulumi/pulumi internals at both ends of the peer range (provider/sdkInternals.ts)", function () {
  this.timeout(900_000);
  const dirs: string[] = [];
  after(() => {
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const version of VERSIONS) {
    it(`@pulumi/pulumi ${version}: the SDK still calls transferProperties and Resource.stackTrace, and both are restored`, () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dps-sdk-range-"));
      dirs.push(dir);
      fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "sdk-range", private: true }));
      execFileSync(
        "npm",
        [
          "install",
          "--no-audit",
          "--no-fund",
          "--ignore-scripts",
          "--loglevel=error",
          `@pulumi/pulumi@${version}`,
        ],
        { cwd: dir, stdio: "pipe", timeout: 600_000 },
      );
      fs.copyFileSync(
        path.join(REPO_ROOT, "dist", "provider", "sdkInternals.js"),
        path.join(dir, "sdkInternals.js"),
      );
      // The module's one import of this package: the key names, which load nothing.
      fs.mkdirSync(path.join(dir, "dynamic"));
      fs.copyFileSync(
        path.join(REPO_ROOT, "dist", "provider", "dynamic", "keys.js"),
        path.join(dir, "dynamic", "keys.js"),
      );
      fs.writeFileSync(path.join(dir, "check.js"), CHECK_JS);
      const out = execFileSync(process.execPath, ["check.js"], {
        cwd: dir,
        encoding: "utf8",
        timeout: 60_000,
      });
      const result = JSON.parse(out.trim().split("\n").pop()!) as {
        version: string;
        shapes: { transferProperties: boolean; stackTrace: boolean };
        seen: { transferProperties: number; stackTrace: number };
        restored: boolean;
        urn: string;
      };
      if (version !== "latest") assert.equal(result.version, version);
      assert.deepEqual(result.shapes, { transferProperties: true, stackTrace: true }, JSON.stringify(result));
      assert.ok(
        result.seen.transferProperties >= 1,
        `transferProperties not called: ${JSON.stringify(result)}`,
      );
      assert.ok(result.seen.stackTrace >= 1, `Resource.stackTrace not called: ${JSON.stringify(result)}`);
      assert.equal(result.restored, true);
      assert.match(result.urn, /test:index:Thing::thing$/);
    });
  }
});
