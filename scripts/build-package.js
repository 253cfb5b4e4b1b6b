// The package build (`npm pack`/`npm publish` run it as prepack): removes the earlier output of the
// shipped folders, so no stale file or source map from the repository build is packed, then compiles
// provider/ and emulator/ with tsconfig.build.json (declarations, no source maps).
const { execFileSync } = require("child_process");
const fs = require("fs");
const path = require("path");

const root = path.resolve(__dirname, "..");
for (const dir of ["provider", "emulator"]) {
  fs.rmSync(path.join(root, "dist", dir), { recursive: true, force: true });
}
execFileSync(
  process.execPath,
  [require.resolve("typescript/bin/tsc"), "-p", path.join(root, "tsconfig.build.json")],
  {
    cwd: root,
    stdio: "inherit",
  },
);
