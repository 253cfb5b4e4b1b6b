// What the Pulumi Registry and the package registries show: the schema's resource descriptions (an
// example per language, an `## Import` section), docs/_index.md and docs/installation-configuration.md
// (the Registry's front matter, the same example, every configuration key), and the README's install
// lines, each against the SDK manifest it names (sdk.test.ts installs by the Go line, the Python and
// Java engine suites by theirs, plugin-node.e2e by the TypeScript one from a loopback npm registry).
import { strict as assert } from "assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { INDIVIDUAL_DOC } from "../../provider/individual/examples";
import { RESOURCES } from "../../provider/kinds";
import { EXAMPLE_LANGUAGES } from "../../provider/plugin/examples";
import { packageSchema } from "../../provider/plugin/schema";
import { REPO_ROOT } from "../support/engine";
import { readmeInstallLines } from "../support/readmeInstall";

const read = (file: string): string => fs.readFileSync(path.join(REPO_ROOT, file), "utf8");
const schema = JSON.parse(read("schema.json")) as {
  version: string;
  displayName: string;
  keywords: string[];
  pluginDownloadURL: string;
  config: { variables: Record<string, unknown> };
  resources: Record<string, { description: string }>;
};

/** The front matter of a Registry page: `key: value` lines between `---` fences. */
function frontMatter(text: string): Record<string, string> {
  const match = /^---\n([\s\S]*?)\n---\n/.exec(text);
  assert.ok(match, "the page opens with front matter");
  return Object.fromEntries(
    match[1]
      .split("\n")
      .map((line) => [line.slice(0, line.indexOf(":")), line.slice(line.indexOf(":") + 1).trim()]),
  );
}

describe("Registry documentation", () => {
  it("the schema has a display name, keywords and a plugin download URL", () => {
    assert.equal(schema.displayName, "Azure DPS Enrollments");
    assert.ok(schema.keywords.includes("category/infrastructure") && schema.keywords.includes("azure"));
    assert.equal(schema.pluginDownloadURL, "github://api.github.com/dps-enrollments/pulumi-dps-enrollments");
  });

  it("a publishing location that is not a GitHub repository fails, saying what to give", () => {
    assert.throws(
      () => packageSchema("0.1.0", { repository: "https://gitlab.com/acme/pulumi-dps-enrollments" }),
      /"https:\/\/gitlab\.com\/acme\/pulumi-dps-enrollments" is not a GitHub repository URL; give https:\/\/github\.com\/OWNER\/NAME/,
    );
    const schemaOf = packageSchema("0.1.0", { repository: "https://github.com/acme/dps.git" });
    assert.equal(schemaOf.pluginDownloadURL, "github://api.github.com/acme/dps");
    assert.equal(schemaOf.language.go.importBasePath, "github.com/acme/dps/sdk/go/dpsenrollments");
  });

  for (const token of RESOURCES.map((resource) => resource.plugin.token)) {
    it(`${token}: an example in every language and an Import section`, () => {
      const text = schema.resources[token].description;
      assert.match(text, /\{\{% examples %\}\}[\s\S]*\{\{% example %\}\}[\s\S]*\{\{% \/examples %\}\}/);
      for (const language of EXAMPLE_LANGUAGES) {
        assert.ok(text.includes("```" + language + "\n"), `a ${language} example`);
      }
      assert.match(text, /\n## Import\n/);
      assert.match(text, new RegExp(`\\$ pulumi import ${token} \\S+ \\S+`));
    });
  }

  it("docs/_index.md: Registry front matter and the example in every language", () => {
    const text = read("docs/_index.md");
    assert.deepEqual(Object.keys(frontMatter(text)).sort(), ["layout", "meta_desc", "title"]);
    assert.equal(frontMatter(text).layout, "package");
    assert.match(text, /\{\{< chooser language "typescript,python,go,csharp,java,yaml" >\}\}/);
    for (const language of EXAMPLE_LANGUAGES) {
      assert.ok(
        text.includes("```" + language + "\n" + INDIVIDUAL_DOC.examples[0].code[language] + "\n```"),
        `the schema's ${language} example`,
      );
    }
  });

  it("docs/installation-configuration.md: front matter, every install line of the README, every config key", () => {
    const text = read("docs/installation-configuration.md");
    assert.equal(frontMatter(text).layout, "package");
    for (const line of readmeInstallLines()) {
      if (line.command) assert.ok(text.includes(line.command), `${line.language}: ${line.command}`);
    }
    for (const key of Object.keys(schema.config.variables)) {
      assert.ok(text.includes(`\`dps-enrollments:${key}\``), `dps-enrollments:${key}`);
    }
    assert.ok(text.includes(schema.pluginDownloadURL), "the plugin's download URL");
    assert.ok(text.includes(`dps-enrollments ${schema.version} --server`), "the version of package.json");
  });

  it("the README's install lines name the packages the SDKs build", () => {
    const lines = new Map(readmeInstallLines().map((line) => [line.language, line]));
    assert.deepEqual([...lines.keys()], ["TypeScript", "Python", "Go", "C#", "Java", "YAML"]);
    const node = JSON.parse(read("sdk/nodejs/package.json")) as { name: string };
    assert.equal(lines.get("TypeScript")?.command, `npm install ${node.name}`);
    const python = /^\s*name = "([^"]+)"$/m.exec(read("sdk/python/pyproject.toml"));
    assert.equal(lines.get("Python")?.command, `pip install ${python?.[1]}`);
    const goModule = /^module (\S+)$/m.exec(read("sdk/go/go.mod"));
    assert.equal(lines.get("Go")?.command, `go get ${goModule?.[1]}`);
    // No <PackageId>: NuGet's id is the project's file name.
    assert.ok(!read("sdk/dotnet/DpsEnrollments.Pulumi.csproj").includes("<PackageId>"));
    assert.equal(lines.get("C#")?.command, "dotnet add package DpsEnrollments.Pulumi");
    const pom = read("sdk/java/pom.xml");
    const coordinate = ["groupId", "artifactId", "version"]
      .map((tag) => new RegExp(`^  <${tag}>([^<]+)</${tag}>$`, "m").exec(pom)?.[1])
      .join(":");
    assert.equal(lines.get("Java")?.coordinate, coordinate);
    assert.ok(coordinate.endsWith(`:${schema.version}`));
  });
});
