// The generated SDKs in sdk/: regenerating them from the plugin's schema (scripts/generate-sdk, the
// script a maintainer runs) changes nothing, the Go SDK builds and the TypeScript SDK type-checks.
// Python and .NET are generated but not compiled here: this machine has neither toolchain.
import { strict as assert } from "assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runOk } from "../support/commands";
import { REPO_ROOT } from "../support/engine";

const SDK = path.join(REPO_ROOT, "sdk");

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

  it("are what scripts/generate-sdk writes from the plugin's schema today", async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "dps-sdk-"));
    try {
      await runOk("bash", [path.join(REPO_ROOT, "scripts", "generate-sdk"), out]);
      const languages = ["dotnet", "go", "nodejs", "python"];
      assert.deepEqual(fs.readdirSync(out).sort(), languages, "one SDK per language");
      for (const language of languages) {
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
      fs.rmSync(out, { recursive: true, force: true });
    }
  });

  it("name both resources and the function in every language", () => {
    const expect: [string, string[]][] = [
      ["nodejs", ["individualEnrollment.ts", "enrollmentGroup.ts", "deriveDeviceKey.ts"]],
      ["go/dpsenrollments", ["individualEnrollment.go", "enrollmentGroup.go", "deriveDeviceKey.go"]],
      [
        "python/pulumi_dps_enrollments",
        ["individual_enrollment.py", "enrollment_group.py", "derive_device_key.py"],
      ],
      ["dotnet", ["IndividualEnrollment.cs", "EnrollmentGroup.cs", "DeriveDeviceKey.cs"]],
    ];
    for (const [dir, files] of expect) {
      for (const file of files) {
        const text = fs.readFileSync(path.join(SDK, dir, file), "utf8");
        assert.match(
          text,
          /dps-enrollments:index:(IndividualEnrollment|EnrollmentGroup|deriveDeviceKey)/,
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
