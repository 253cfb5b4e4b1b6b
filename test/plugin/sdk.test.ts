// The generated SDKs in sdk/ and schema.json: regenerating them from the plugin's schema
// (scripts/generate-sdk, the script a maintainer runs) changes nothing; where the package is
// published is set at build time and reaches every SDK; every SDK carries package.json's version; the
// Go SDK builds with a `go` directive no newer than the Pulumi Go SDK's own; the Node SDK builds to the
// entry points its package.json names. The Python wheel and the Java SDK's Maven build run in the
// engine suites (plugin-python, plugin-java); .NET is generated but not built (no NuGet source here).
import { strict as assert } from "assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runOk } from "../support/commands";
import { REPO_ROOT } from "../support/engine";
import { readmeInstallLines } from "../support/readmeInstall";

const SDK = path.join(REPO_ROOT, "sdk");
const LANGUAGES = ["dotnet", "go", "java", "nodejs", "python"];
const VERSION = (
  JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as { version: string }
).version;

/** Generates schema and SDKs into a temporary directory; returns it (schema at schema.json). */
async function generate(env: NodeJS.ProcessEnv = {}): Promise<string> {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "dps-sdk-"));
  await runOk(
    "bash",
    [path.join(REPO_ROOT, "scripts", "generate-sdk"), path.join(out, "sdk"), path.join(out, "schema.json")],
    {
      env,
    },
  );
  return out;
}

/** The `go` directive of a go.mod. */
function goDirective(gomod: string): string {
  const match = /^go (\S+)$/m.exec(gomod);
  assert.ok(match, "a go directive");
  return match[1];
}

/** -1, 0 or 1 as Go version `a` is older, the same or newer than `b` (dotted numbers). */
function compareGo(a: string, b: string): number {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

/** Every file under `dir`, as relative paths, sorted. */
function filesUnder(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[])
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
    .sort();
}

describe("The generated SDKs (sdk/)", function () {
  // Cold Go caches: building the generator and the Go SDK takes minutes; warm, seconds.
  this.timeout(1_200_000);

  it("are what scripts/generate-sdk writes from the plugin's schema today, and so is schema.json", async () => {
    const root = await generate();
    const out = path.join(root, "sdk");
    try {
      assert.equal(
        fs.readFileSync(path.join(root, "schema.json"), "utf8"),
        fs.readFileSync(path.join(REPO_ROOT, "schema.json"), "utf8"),
        "schema.json: regenerate with `npm run gen-sdk` and commit",
      );
      assert.deepEqual(fs.readdirSync(out).sort(), LANGUAGES, "one SDK per language");
      for (const language of LANGUAGES) {
        const fresh = filesUnder(path.join(out, language));
        const held = filesUnder(path.join(SDK, language));
        assert.deepEqual(
          held,
          fresh,
          `sdk/${language} has the files a regeneration writes (npm run gen-sdk)`,
        );
        const changed = fresh.filter(
          (file) =>
            !fs
              .readFileSync(path.join(out, language, file))
              .equals(fs.readFileSync(path.join(SDK, language, file))),
        );
        assert.deepEqual(changed, [], `sdk/${language}: regenerate with \`npm run gen-sdk\` and commit`);
      }
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it("take where the package is published at build time: Go module path, links, plugin download URL", async () => {
    const root = await generate({
      DPS_ENROLLMENTS_REPOSITORY: "https://github.com/acme/pulumi-dps-enrollments",
    });
    try {
      const sdk = path.join(root, "sdk");
      const gomod = fs.readFileSync(path.join(sdk, "go", "go.mod"), "utf8");
      assert.match(gomod, /^module github\.com\/acme\/pulumi-dps-enrollments\/sdk\/go$/m);
      const server = "github://api.github.com/acme/pulumi-dps-enrollments";
      const schema = JSON.parse(fs.readFileSync(path.join(root, "schema.json"), "utf8")) as Record<
        string,
        unknown
      >;
      assert.equal(schema.pluginDownloadURL, server);
      assert.equal(schema.repository, "https://github.com/acme/pulumi-dps-enrollments");
      for (const file of [
        "nodejs/package.json",
        "python/pulumi_dps_enrollments/pulumi-plugin.json",
        "go/dpsenrollments/pulumi-plugin.json",
        "dotnet/pulumi-plugin.json",
        "java/src/main/java/io/github/dpsenrollments/dpsenrollments/IndividualEnrollment.java",
        "java/src/main/resources/com/io/github/dpsenrollments/dps-enrollments/plugin.json",
      ]) {
        assert.ok(
          fs.readFileSync(path.join(sdk, file), "utf8").includes(server),
          `${file} downloads from ${server}`,
        );
      }
      // A download server of one's own instead of GitHub releases.
      const other = await generate({
        DPS_ENROLLMENTS_PLUGIN_DOWNLOAD_URL: "https://plugins.example.com/dps",
      });
      try {
        const otherSchema = JSON.parse(fs.readFileSync(path.join(other, "schema.json"), "utf8")) as Record<
          string,
          unknown
        >;
        assert.equal(otherSchema.pluginDownloadURL, "https://plugins.example.com/dps");
      } finally {
        fs.rmSync(other, { recursive: true, force: true });
      }
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it("carry package.json's version, each in its own package manifest", () => {
    const read = (file: string) => fs.readFileSync(path.join(SDK, file), "utf8");
    assert.equal((JSON.parse(read("nodejs/package.json")) as { version: string }).version, VERSION);
    const readme = /^\s*readme = "([^"]+)"$/m.exec(read("python/pyproject.toml"))?.[1] ?? "";
    assert.ok(fs.existsSync(path.join(SDK, "python", readme)), `pyproject.toml's readme ${readme} is there`);
    assert.match(read("python/pyproject.toml"), new RegExp(`^\\s*version = "${VERSION}"$`, "m"));
    assert.match(
      read("java/pom.xml"),
      new RegExp(`<artifactId>dps-enrollments</artifactId>\\s*<version>${VERSION}</version>`),
    );
    assert.equal(read("dotnet/version.txt").trim(), VERSION);
    assert.equal(
      (JSON.parse(read("go/dpsenrollments/pulumi-plugin.json")) as { version: string }).version,
      VERSION,
    );
    const schema = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "schema.json"), "utf8")) as {
      version: string;
    };
    assert.equal(schema.version, VERSION);
  });

  it("the Go SDK's module asks for no newer Go than the Pulumi Go SDK it requires", async () => {
    const gomod = fs.readFileSync(path.join(SDK, "go", "go.mod"), "utf8");
    const required = /^\s*github\.com\/pulumi\/pulumi\/sdk\/v3 (v\S+)$/m.exec(gomod);
    assert.ok(required, "the Go SDK requires the Pulumi Go SDK");
    const { stdout } = await runOk(
      "go",
      ["mod", "download", "-json", `github.com/pulumi/pulumi/sdk/v3@${required[1]}`],
      {
        cwd: path.join(SDK, "go"),
      },
    );
    const pulumiGoMod = fs.readFileSync((JSON.parse(stdout) as { GoMod: string }).GoMod, "utf8");
    assert.ok(
      compareGo(goDirective(gomod), goDirective(pulumiGoMod)) <= 0,
      `go ${goDirective(gomod)} in sdk/go/go.mod is no newer than the Pulumi Go SDK's go ${goDirective(pulumiGoMod)}`,
    );
  });

  it("the README's Go line (`go get`) installs the SDK from a module proxy, a local one standing in", async () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "dps-sdk-goget-"));
    const cleanups: (() => void)[] = [];
    try {
      const gomod = fs.readFileSync(path.join(SDK, "go", "go.mod"), "utf8");
      const module = /^module (\S+)$/m.exec(gomod)?.[1] ?? "";
      // The proxy's layout (go help goproxy): list, .info, .mod and a .zip of module@version/ files.
      const version = `v${VERSION}`;
      const dir = path.join(work, "proxy", module, "@v");
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, "list"), `${version}\n`);
      fs.writeFileSync(
        path.join(dir, `${version}.info`),
        JSON.stringify({ Version: version, Time: "2026-01-01T00:00:00Z" }),
      );
      fs.writeFileSync(path.join(dir, `${version}.mod`), gomod);
      await runOk("python3", [
        "-c",
        "import os, sys, zipfile\n" +
          "src, prefix, out = sys.argv[1:]\n" +
          "with zipfile.ZipFile(out, 'w') as z:\n" +
          "    for root, _, files in os.walk(src):\n" +
          "        for f in files:\n" +
          "            p = os.path.join(root, f)\n" +
          "            z.write(p, prefix + '/' + os.path.relpath(p, src))\n",
        path.join(SDK, "go"),
        `${module}@${version}`,
        path.join(dir, `${version}.zip`),
      ]);
      // The module cache would serve an earlier run's copy: the SDK as it is now is what gets installed.
      const cache = (await runOk("go", ["env", "GOMODCACHE"])).stdout.trim();
      const cached = [
        path.join(cache, `${module}@${version}`),
        path.join(cache, "cache", "download", module, "@v"),
      ];
      const forget = () =>
        cached.forEach((p) => {
          if (!fs.existsSync(p)) return;
          for (const entry of fs.readdirSync(p, { recursive: true, withFileTypes: true }) as fs.Dirent[]) {
            if (entry.isDirectory()) fs.chmodSync(path.join(entry.parentPath, entry.name), 0o755);
          }
          fs.chmodSync(p, 0o755);
          fs.rmSync(p, { recursive: true, force: true });
        });
      forget();
      cleanups.push(forget);
      const program = path.join(work, "program");
      fs.mkdirSync(program);
      const env = {
        GOPROXY: `file://${path.join(work, "proxy")},https://proxy.golang.org`,
        GONOSUMDB: module,
        GOFLAGS: "-buildvcs=false",
        // Go's build cache indexes a module's files by module@version, taking them for immutable: an
        // earlier run's index of this version would hide a file the SDK has since gained.
        GODEBUG: "goindex=0",
      };
      await runOk("go", ["mod", "init", "example.com/program"], { cwd: program, env });
      const line = readmeInstallLines().find((l) => l.language === "Go")?.command ?? "";
      assert.ok(line.startsWith("go get "), `the README's Go line: ${line}`);
      const [go, ...args] = line.split(" ");
      await runOk(go, args, { cwd: program, env });
      fs.writeFileSync(
        path.join(program, "main.go"),
        `package main\n\nimport (\n\t"${module}/dpsenrollments"\n\t"github.com/pulumi/pulumi/sdk/v3/go/pulumi"\n)\n\n` +
          "func main() {\n\tpulumi.Run(func(ctx *pulumi.Context) error {\n" +
          '\t\t_, err := dpsenrollments.NewIndividualEnrollment(ctx, "d", &dpsenrollments.IndividualEnrollmentArgs{\n' +
          '\t\t\tRegistrationId: pulumi.String("d"),\n' +
          '\t\t\tAttestation:    dpsenrollments.AttestationArgs{Type: pulumi.String("symmetricKey")},\n' +
          "\t\t})\n\t\treturn err\n\t})\n}\n",
      );
      await runOk("go", ["mod", "tidy"], { cwd: program, env });
      await runOk("go", ["build", "./..."], { cwd: program, env });
      assert.match(fs.readFileSync(path.join(program, "go.mod"), "utf8"), new RegExp(`${module} ${version}`));
    } finally {
      cleanups.forEach((cleanup) => cleanup());
      fs.rmSync(work, { recursive: true, force: true });
    }
  });

  it("the Node SDK builds to the `main` and `types` its package.json names, which load", async () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "dps-sdk-node-"));
    try {
      fs.cpSync(path.join(SDK, "nodejs"), work, { recursive: true });
      const manifest = JSON.parse(fs.readFileSync(path.join(work, "package.json"), "utf8")) as {
        main: string;
        types: string;
        files: string[];
      };
      // `npm run build` as its package.json says (its tsc: this repository's, through node_modules).
      fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(work, "node_modules"));
      await runOk("npm", ["run", "build"], { cwd: work });
      assert.ok(fs.existsSync(path.join(work, manifest.main)), `${manifest.main} is built`);
      assert.ok(fs.existsSync(path.join(work, manifest.types)), `${manifest.types} is built`);
      const { stdout } = await runOk(process.execPath, [
        "-e",
        "const sdk = require(process.argv[1]); console.log(typeof sdk.IndividualEnrollment, typeof sdk.EnrollmentGroup, typeof sdk.EnrollmentFleet)",
        work,
      ]);
      assert.equal(stdout.trim(), "function function function", "require() of the package finds its classes");
      const { stdout: packed } = await runOk("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], {
        cwd: work,
      });
      const files = (JSON.parse(packed) as { files: { path: string }[] }[])[0].files.map((f) => f.path);
      for (const file of [manifest.main, manifest.types, "package.json", "bin/package.json"]) {
        assert.ok(files.includes(file), `the package holds ${file}: ${files.join(", ")}`);
      }
      assert.ok(
        !files.some((f) => f.endsWith(".ts") && !f.endsWith(".d.ts")),
        "no TypeScript sources packed",
      );
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  });

  it("name every resource and the function in every language", () => {
    const expect: [string, string[]][] = [
      [
        "nodejs",
        ["individualEnrollment.ts", "enrollmentGroup.ts", "enrollmentFleet.ts", "deriveDeviceKey.ts"],
      ],
      [
        "go/dpsenrollments",
        ["individualEnrollment.go", "enrollmentGroup.go", "enrollmentFleet.go", "deriveDeviceKey.go"],
      ],
      [
        "python/pulumi_dps_enrollments",
        ["individual_enrollment.py", "enrollment_group.py", "enrollment_fleet.py", "derive_device_key.py"],
      ],
      [
        "dotnet",
        ["IndividualEnrollment.cs", "EnrollmentGroup.cs", "EnrollmentFleet.cs", "DeriveDeviceKey.cs"],
      ],
      [
        "java/src/main/java/io/github/dpsenrollments/dpsenrollments",
        [
          "IndividualEnrollment.java",
          "EnrollmentGroup.java",
          "EnrollmentFleet.java",
          "DpsenrollmentsFunctions.java",
        ],
      ],
    ];
    for (const [dir, files] of expect) {
      for (const file of files) {
        const text = fs.readFileSync(path.join(SDK, dir, file), "utf8");
        assert.match(
          text,
          /dps-enrollments:index:(IndividualEnrollment|EnrollmentGroup|EnrollmentFleet|deriveDeviceKey)/,
          file,
        );
      }
    }
  });

  it("the Go SDK builds (`go build ./...`, `go vet ./...`)", async () => {
    const env = { GOFLAGS: "-mod=readonly -buildvcs=false" };
    await runOk("go", ["build", "./..."], { cwd: path.join(SDK, "go"), env });
    await runOk("go", ["vet", "./..."], { cwd: path.join(SDK, "go"), env });
  });

  it("the TypeScript SDK type-checks (`tsc --noEmit` with its own tsconfig)", async () => {
    const tsc = path.join(REPO_ROOT, "node_modules", "typescript", "bin", "tsc");
    await runOk(process.execPath, [tsc, "-p", path.join(SDK, "nodejs", "tsconfig.json"), "--noEmit"]);
  });
});
