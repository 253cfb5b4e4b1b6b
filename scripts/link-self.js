// Makes `require("pulumi-dps-enrollments/...")` resolve inside this repository, as it does in a
// user's project where the package sits in node_modules. The serialized dynamic provider loads its
// implementation by package name (see provider/dynamic/resource.ts), so programs, examples and tests run from
// this checkout need the link. Idempotent.
const fs = require("fs");
const path = require("path");

const root = path.resolve(__dirname, "..");
const link = path.join(root, "node_modules", require(path.join(root, "package.json")).name);
try {
  if (fs.realpathSync(link) === root) process.exit(0);
  fs.rmSync(link, { recursive: true, force: true });
} catch {
  // absent: create below
}
fs.mkdirSync(path.dirname(link), { recursive: true });
fs.symlinkSync(path.relative(path.dirname(link), root), link, "dir");
