// The Registry examples of the resource descriptions (each kind's examples.ts, e.g. provider/individual/examples.ts) compile against the
// generated SDKs: TypeScript with tsc against the built Node SDK, Go with `go vet` against sdk/go, Java
// with Maven against sdk/java (installed into .tools/m2, with com.pulumi:pulumi from Maven Central),
// Python byte-compiled and its names checked against the SDK. C# is not compiled here (no dotnet SDK,
// no NuGet source); YAML is checked for the resource tokens it names.
import { strict as assert } from "assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { RESOURCES } from "../../provider/kinds";
import type { Example } from "../../provider/plugin/examples";
import { runOk } from "../support/commands";
import { REPO_ROOT } from "../support/engine";

const SDK = path.join(REPO_ROOT, "sdk");
const EXAMPLES: Example[] = RESOURCES.flatMap((resource) => resource.plugin.doc.examples);
const MAVEN_REPO = path.join(REPO_ROOT, ".tools", "m2");

describe("The Registry examples compile against the generated SDKs", function () {
  this.timeout(900_000);
  let work: string;

  beforeEach(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), "dps-examples-"));
  });
  afterEach(() => fs.rmSync(work, { recursive: true, force: true }));

  it("TypeScript (tsc, strict, against the built Node SDK)", async () => {
    const modules = path.join(work, "node_modules");
    const sdk = path.join(modules, "@dps-enrollments", "pulumi");
    fs.mkdirSync(path.dirname(sdk), { recursive: true });
    fs.cpSync(path.join(SDK, "nodejs"), sdk, { recursive: true });
    fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(sdk, "node_modules"));
    await runOk("npm", ["run", "build"], { cwd: sdk });
    fs.symlinkSync(path.join(REPO_ROOT, "node_modules", "@pulumi"), path.join(modules, "@pulumi"));
    fs.symlinkSync(path.join(REPO_ROOT, "node_modules", "@types"), path.join(modules, "@types"));
    const files = EXAMPLES.map((example, i) => {
      const file = path.join(work, `example${i}.ts`);
      fs.writeFileSync(file, example.code.typescript + "\n");
      return file;
    });
    const tsc = path.join(REPO_ROOT, "node_modules", "typescript", "bin", "tsc");
    await runOk(process.execPath, [
      tsc,
      "--noEmit",
      "--strict",
      "--module",
      "nodenext",
      "--moduleResolution",
      "nodenext",
      "--target",
      "es2022",
      "--types",
      "node",
      ...files,
    ]);
  });

  it("Go (`go vet`, the SDK module by a replace directive)", async () => {
    const module = /^module (\S+)$/m.exec(fs.readFileSync(path.join(SDK, "go", "go.mod"), "utf8"))![1];
    const goVersion = /^go (\S+)$/m.exec(fs.readFileSync(path.join(SDK, "go", "go.mod"), "utf8"))![1];
    fs.writeFileSync(
      path.join(work, "go.mod"),
      `module examples\n\ngo ${goVersion}\n\nrequire ${module} v0.0.0\n\nreplace ${module} => ${path.join(SDK, "go")}\n`,
    );
    EXAMPLES.forEach((example, i) => {
      fs.mkdirSync(path.join(work, `example${i}`));
      fs.writeFileSync(path.join(work, `example${i}`, "main.go"), example.code.go + "\n");
    });
    fs.copyFileSync(path.join(SDK, "go", "go.sum"), path.join(work, "go.sum"));
    const env = { GOFLAGS: "-mod=mod -buildvcs=false" };
    await runOk("go", ["mod", "tidy"], { cwd: work, env });
    await runOk("go", ["vet", "./..."], { cwd: work, env });
  });

  it("Java (Maven, against the SDK's build)", async () => {
    const sdk = path.join(work, "sdk");
    fs.cpSync(path.join(SDK, "java"), sdk, { recursive: true });
    const maven = (cwd: string, ...args: string[]) =>
      runOk("mvn", ["-B", "-q", `-Dmaven.repo.local=${MAVEN_REPO}`, ...args], { cwd, timeoutMs: 900_000 });
    await maven(sdk, "install", "-DskipTests");
    const pom = fs.readFileSync(path.join(sdk, "pom.xml"), "utf8");
    const tag = (name: string) => new RegExp(`^  <${name}>([^<]+)</${name}>$`, "m").exec(pom)![1];
    const project = path.join(work, "examples");
    EXAMPLES.forEach((example, i) => {
      const dir = path.join(project, "src", "main", "java", `example${i}`);
      fs.mkdirSync(dir, { recursive: true });
      assert.match(example.code.java, /^package myproject;$/m);
      fs.writeFileSync(
        path.join(dir, "App.java"),
        example.code.java.replace("package myproject;", `package example${i};`),
      );
    });
    fs.writeFileSync(
      path.join(project, "pom.xml"),
      `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>examples</groupId>
  <artifactId>examples</artifactId>
  <version>1.0.0</version>
  <properties>
    <maven.compiler.release>17</maven.compiler.release>
    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
  </properties>
  <dependencies>
    <dependency>
      <groupId>${tag("groupId")}</groupId>
      <artifactId>${tag("artifactId")}</artifactId>
      <version>${tag("version")}</version>
    </dependency>
  </dependencies>
  <build>
    <plugins>
      <plugin>
        <groupId>org.apache.maven.plugins</groupId>
        <artifactId>maven-compiler-plugin</artifactId>
        <version>3.13.0</version>
      </plugin>
      <plugin>
        <groupId>org.apache.maven.plugins</groupId>
        <artifactId>maven-resources-plugin</artifactId>
        <version>3.3.1</version>
      </plugin>
    </plugins>
  </build>
</project>
`,
    );
    await maven(project, "compile");
  });

  it("Python (byte-compiles; the keyword arguments are the SDK's)", async () => {
    for (const [i, example] of EXAMPLES.entries()) {
      const file = path.join(work, `example${i}.py`);
      fs.writeFileSync(file, example.code.python + "\n");
      await runOk("python3", ["-m", "py_compile", file]);
      const resource = /dps\.(\w+)\(/.exec(example.code.python)![1];
      const module = resource.replace(/[A-Z]/g, (c, at: number) => (at ? "_" : "") + c.toLowerCase());
      const source = fs.readFileSync(
        path.join(SDK, "python", "pulumi_dps_enrollments", `${module}.py`),
        "utf8",
      );
      for (const [, keyword] of example.code.python.matchAll(/^\s+(\w+)=/gm)) {
        assert.match(source, new RegExp(`\\b${keyword}: `), `${resource} takes ${keyword}`);
      }
    }
  });

  it("YAML and C# name the resources by their tokens and classes", () => {
    for (const example of EXAMPLES) {
      const tokens = RESOURCES.map((resource) => resource.plugin.token);
      assert.ok(
        tokens.some((token) => example.code.yaml.includes(`type: ${token}\n`)),
        `${example.title}: a resource of ${tokens.join(", ")}`,
      );
      const cls = /new Dps\.(\w+)\(/.exec(example.code.csharp)![1];
      assert.ok(fs.existsSync(path.join(SDK, "dotnet", `${cls}.cs`)), `${cls}.cs`);
    }
  });
});
