// The package as a user gets it: `npm pack` (which runs the package build), the tarball installed next to
// an ordinary `@pulumi/pulumi` in a fresh project outside the repository (no link, no path back here),
// and a program in that project creating and destroying an enrollment through the real engine, on the
// emulator the package itself ships.
import { strict as assert } from "assert";
import { execFile, execFileSync } from "child_process";
import * as fs from "fs";
import { createRequire } from "module";
import * as os from "os";
import * as path from "path";
import type { EmulatorHandle } from "../../emulator";
import { createServiceClient } from "../../provider/core/transport";
import { findPulumi, offlineEngineEnv, REPO_ROOT } from "../support/engine";
import { readEnrollment } from "../support/service";

/**
 * The `@pulumi/pulumi` the user already has: the lowest of the peer range in package.json, so the range
 * is proven to work and to share the user's copy.
 */
const USER_PULUMI_VERSION = "3.260.0";

/** The user's program: plain CommonJS, the Automation API of the user's own `@pulumi/pulumi`. */
const RUN_JS = `
const { LocalWorkspace, PulumiCommand } = require("@pulumi/pulumi/automation");
const { IndividualEnrollment } = require("pulumi-dps-enrollments");

const program = async () => {
  const device = new IndividualEnrollment("device", {
    connection: {
      connectionString: process.env.DPS_EMULATOR_CONNECTION_STRING,
      endpoint: process.env.DPS_EMULATOR_ENDPOINT,
      caCertificate: process.env.DPS_EMULATOR_CA,
    },
    registrationId: "pack-e2e-device",
    attestation: { type: "symmetricKey" },
    tags: { installedFrom: "tarball" },
  });
  return { registrationId: device.registrationId };
};

(async () => {
  const pulumiCommand = await PulumiCommand.get({ root: process.env.PULUMI_ROOT, skipVersionCheck: true });
  const stack = await LocalWorkspace.createOrSelectStack(
    { stackName: "dev", projectName: "pack-e2e", program },
    { workDir: __dirname, pulumiCommand, projectSettings: { name: "pack-e2e", runtime: "nodejs" } },
  );
  const onOutput = (text) => process.stdout.write(text);
  const result =
    process.argv[2] === "destroy" ? await stack.destroy({ onOutput }) : await stack.up({ onOutput });
  console.log("RESULT " + JSON.stringify(result.summary.resourceChanges));
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
`;

/** Runs `file args` in `cwd`; resolves with stdout, rejects with stdout and stderr in the message. */
function run(
  file: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { cwd, env, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${file} ${args.join(" ")} failed: ${err.message}\n${stdout}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

describe("the npm package (npm pack, installed in a fresh project, real engine)", function () {
  this.timeout(600_000);
  let tmp: string;
  let project: string;
  let files: string[];
  let emu: EmulatorHandle | undefined;

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-dps-enrollments-pack-"));
    await run("npm", ["pack", "--pack-destination", tmp, "--silent"], REPO_ROOT);
    const tarballs = fs.readdirSync(tmp).filter((f) => f.endsWith(".tgz"));
    assert.equal(tarballs.length, 1, `one tarball in ${tmp}`);
    const tarball = path.join(tmp, tarballs[0]);
    files = execFileSync("tar", ["-tzf", tarball], { encoding: "utf8" })
      .split("\n")
      .filter(Boolean)
      .map((f) => f.replace(/^package\//, ""));

    project = path.join(tmp, "project");
    fs.mkdirSync(project);
    fs.writeFileSync(
      path.join(project, "package.json"),
      JSON.stringify({ name: "pack-e2e-user", version: "1.0.0", private: true }, null, 2),
    );
    fs.writeFileSync(path.join(project, "run.js"), RUN_JS);
    await run(
      "npm",
      ["install", "--no-audit", "--no-fund", tarball, `@pulumi/pulumi@${USER_PULUMI_VERSION}`],
      project,
    );
  });

  after(async () => {
    await emu?.stop();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("ships the provider, the emulator, their types, README and LICENSE, and nothing else", () => {
    for (const f of [
      "package.json",
      "README.md",
      "LICENSE",
      "dist/provider/index.js",
      "dist/provider/index.d.ts",
      "dist/provider/runtime.js",
      "dist/emulator/index.js",
      "dist/emulator/index.d.ts",
      "dist/emulator/cli.js",
      "dist/provider/plugin/main.js",
      "bin/pulumi-resource-dps-enrollments",
    ]) {
      assert.ok(files.includes(f), `${f} is in the tarball`);
    }
    const extra = files.filter(
      (f) =>
        !["package.json", "README.md", "LICENSE", "bin/pulumi-resource-dps-enrollments"].includes(f) &&
        !/^dist\/(provider|emulator)\//.test(f),
    );
    assert.deepEqual(extra, [], "no test, bench, scripts, examples or root program files");
    assert.deepEqual(
      files.filter((f) => f.endsWith(".map") || f.endsWith(".ts") !== f.endsWith(".d.ts")),
      [],
      "no source maps, no TypeScript sources",
    );
    assert.match(fs.readFileSync(path.join(REPO_ROOT, "LICENSE"), "utf8"), /Apache License\s+Version 2\.0/);
  });

  it("installs next to the user's @pulumi/pulumi without a second copy", () => {
    const installed = path.join(project, "node_modules");
    const userPulumi = JSON.parse(
      fs.readFileSync(path.join(installed, "@pulumi", "pulumi", "package.json"), "utf8"),
    ) as { version: string };
    assert.equal(userPulumi.version, USER_PULUMI_VERSION);
    assert.ok(
      !fs.existsSync(path.join(installed, "pulumi-dps-enrollments", "node_modules", "@pulumi", "pulumi")),
      "no nested @pulumi/pulumi under pulumi-dps-enrollments",
    );
  });

  it("publishes the documented entry points and the provider module the state refers to, not internals", () => {
    const userRequire = createRequire(path.join(project, "package.json"));
    const pkg = userRequire("pulumi-dps-enrollments") as Record<string, unknown>;
    assert.equal(typeof pkg.IndividualEnrollment, "function");
    const emulator = userRequire("pulumi-dps-enrollments/emulator") as Record<string, unknown>;
    assert.equal(typeof emulator.startEmulator, "function");
    // Every stack's state holds `require("pulumi-dps-enrollments/provider/runtime").enrollmentProvider`.
    const runtime = userRequire("pulumi-dps-enrollments/provider/runtime") as Record<string, unknown>;
    assert.equal(typeof runtime.enrollmentProvider, "object");
    assert.equal(
      (userRequire("pulumi-dps-enrollments/package.json") as { name: string }).name,
      "pulumi-dps-enrollments",
    );
    assert.ok(
      fs.existsSync(path.join(project, "node_modules", ".bin", "dps-emulator")),
      "the dps-emulator command",
    );
    assert.throws(
      () => userRequire("pulumi-dps-enrollments/provider/transport"),
      (err: NodeJS.ErrnoException) => err.code === "ERR_PACKAGE_PATH_NOT_EXPORTED",
    );
  });

  it("a program in that project creates and destroys an enrollment through the real engine", async () => {
    const userRequire = createRequire(path.join(project, "package.json"));
    const { startEmulator } = userRequire(
      "pulumi-dps-enrollments/emulator",
    ) as typeof import("../../emulator");
    emu = await startEmulator();
    const pulumi = await findPulumi();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      // The engine starts the dynamic-provider plugin (a script in the user's @pulumi/pulumi) from
      // PATH, and the plugin runs `node` from PATH in the project directory.
      PATH: [
        pulumi.binDir,
        path.join(project, "node_modules", "@pulumi", "pulumi"),
        path.dirname(process.execPath),
        process.env.PATH ?? "",
      ].join(path.delimiter),
      PULUMI_ROOT: path.dirname(pulumi.binDir),
      PULUMI_HOME: path.join(tmp, "pulumi-home"),
      ...offlineEngineEnv(path.join(tmp, "state"), "pack-e2e"),
      DPS_EMULATOR_CONNECTION_STRING: emu.connectionString,
      DPS_EMULATOR_ENDPOINT: emu.endpoint,
      DPS_EMULATOR_CA: emu.caCertificate,
    };
    fs.mkdirSync(path.join(tmp, "state"));
    const client = createServiceClient({
      connectionString: emu.connectionString,
      endpoint: emu.endpoint,
      caCertificate: emu.caCertificate,
    });

    const up = await run(process.execPath, ["run.js", "up"], project, env);
    assert.match(up, /\+ 2 created/, up);
    const created = await readEnrollment<{ initialTwin?: { tags?: unknown } }>(client, "pack-e2e-device");
    assert.deepEqual(created?.initialTwin?.tags, { installedFrom: "tarball" });

    const destroy = await run(process.execPath, ["run.js", "destroy"], project, env);
    assert.match(destroy, /- 2 deleted/, destroy);
    assert.equal(await readEnrollment(client, "pack-e2e-device"), undefined, "deleted from the DPS");
  });
});
