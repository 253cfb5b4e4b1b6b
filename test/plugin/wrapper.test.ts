// The npm package's plugin wrapper (bin/pulumi-resource-dps-enrollments) where there is no Node.js 22:
// installed in a project (no .tools/node22 beside it) with an older `node` on PATH, it says what to do
// instead of starting the plugin on a Node it does not support.
import { strict as assert } from "assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runCommand } from "../support/commands";
import { REPO_ROOT } from "../support/engine";

describe("The plugin wrapper of the npm package, with only an old Node.js", () => {
  let root: string;

  before(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "dps-wrapper-"));
    // The package as installed: bin/ and dist/ side by side, no .tools.
    fs.mkdirSync(path.join(root, "pkg", "bin"), { recursive: true });
    fs.copyFileSync(
      path.join(REPO_ROOT, "bin", "pulumi-resource-dps-enrollments"),
      path.join(root, "pkg", "bin", "pulumi-resource-dps-enrollments"),
    );
    fs.chmodSync(path.join(root, "pkg", "bin", "pulumi-resource-dps-enrollments"), 0o755);
    // A Node.js 20 on PATH, as far as the wrapper can tell.
    fs.mkdirSync(path.join(root, "old"));
    fs.writeFileSync(
      path.join(root, "old", "node"),
      '#!/bin/sh\nif [ "$1" = --version ]; then echo v20.19.0; else echo 20; fi\n',
      { mode: 0o755 },
    );
  });

  after(() => fs.rmSync(root, { recursive: true, force: true }));

  it("fails, naming the Node it found and the ways out", async () => {
    const r = await runCommand(path.join(root, "pkg", "bin", "pulumi-resource-dps-enrollments"), [], {
      env: { PATH: [path.join(root, "old"), "/usr/bin", "/bin"].join(path.delimiter) },
      timeoutMs: 30_000,
    });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.equal(r.stdout, "", "no port: the engine sees the failure");
    assert.match(r.stderr, /needs Node\.js 22 or newer, found v20\.19\.0/);
    assert.match(r.stderr, /pulumi plugin install resource dps-enrollments <version> --file/);
  });
});
