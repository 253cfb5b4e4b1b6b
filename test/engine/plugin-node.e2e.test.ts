// End to end through the plugin from TypeScript, on the generated Node SDK as a user installs it: sdk/nodejs
// packed (`npm pack`, its `prepack` builds it), served by a loopback npm registry for its scope, and the
// README's TypeScript line (`npm install @dps-enrollments/pulumi`) run in a fresh project (its .npmrc
// pointing the scope there; @pulumi/pulumi from the usual registry). A user program is type-checked
// against the installed package's `types`; the story's program, loaded through its `main`, runs inline
// on that project's own Node Automation API (one @pulumi/pulumi), with the plugin bin on PATH: the
// shared story of test/support/pluginStory.ts against the emulator.
import { strict as assert } from "assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import { runOk } from "../support/commands";
import { PLUGIN_DIR } from "../support/cliProject";
import {
  EngineCommandError,
  EngineStack,
  REPO_ROOT,
  type AutomationApi,
  type OperationResult,
} from "../support/engine";
import { installInNewProject, packNodeSdk, serveNpmPackage } from "../support/npmScope";
import { pluginStory, type StoryProgram, type StoryResult } from "../support/pluginStory";
import { readmeInstallLines } from "../support/readmeInstall";

/**
 * What the test uses of the installed SDK. (Importing its types from sdk/nodejs would compile the
 * generated sources with this repository's stricter tsconfig; the user program below type-checks
 * against the installed ones.)
 */
interface NodeSdk {
  IndividualEnrollment: new (
    name: string,
    args: {
      registrationId: string;
      attestation: { type: string };
      tags?: Record<string, string>;
      provisioningStatus?: string;
    },
    opts?: pulumi.CustomResourceOptions,
  ) => { etag: pulumi.Output<string> };
}

/** A user's program on the installed package, as `pulumi new typescript` would compile it. */
const USER_PROGRAM = `import * as dps from "@dps-enrollments/pulumi";
const device = new dps.IndividualEnrollment("device", {
  registrationId: "device-1",
  attestation: { type: "symmetricKey" },
  tags: { env: "dev" },
});
export const etag = device.etag;
`;

/**
 * Installs the SDK by the README's line from a loopback registry into a new project under `workDir`;
 * type-checks a program there; returns the package (by its `main`) and the project's Automation API.
 */
async function installNodeSdk(workDir: string): Promise<{ sdk: NodeSdk; automation: AutomationApi }> {
  const packed = await packNodeSdk(workDir);
  const registry = await serveNpmPackage(packed);
  const line = readmeInstallLines().find((l) => l.language === "TypeScript")?.command;
  assert.ok(line, "the README has a TypeScript install line");
  let project;
  try {
    project = await installInNewProject({
      installLine: line,
      scope: packed.name.split("/")[0],
      registryUrl: registry.url,
      parentDir: workDir,
    });
  } finally {
    await registry.close();
  }
  // npm asked the loopback registry; the tarball may come from its cache (`npm pack` puts it there).
  assert.equal(registry.requests[0], `/${packed.name}`, "npm asked the scope's registry for the package");
  const lock = JSON.parse(fs.readFileSync(path.join(project.dir, "package-lock.json"), "utf8")) as {
    packages: Record<string, { version?: string; integrity?: string }>;
  };
  assert.deepEqual(
    lock.packages[`node_modules/${packed.name}`],
    { ...lock.packages[`node_modules/${packed.name}`], version: packed.version, integrity: packed.integrity },
    "the installed package is the one packed",
  );
  const manifest = JSON.parse(fs.readFileSync(path.join(project.packageDir, "package.json"), "utf8")) as {
    types: string;
  };
  assert.ok(
    fs.existsSync(path.join(project.packageDir, manifest.types)),
    `types: ${manifest.types} is installed`,
  );
  fs.writeFileSync(path.join(project.dir, "index.ts"), USER_PROGRAM);
  fs.writeFileSync(
    path.join(project.dir, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        target: "es2020",
        module: "commonjs",
        moduleResolution: "node",
        noEmit: true,
        skipLibCheck: true,
      },
      files: ["index.ts"],
    }),
  );
  await runOk(process.execPath, [
    path.join(REPO_ROOT, "node_modules", "typescript", "bin", "tsc"),
    "-p",
    project.dir,
  ]);
  return {
    sdk: (await import(project.packageDir)) as NodeSdk,
    automation: (await import(
      path.join(project.dir, "node_modules", "@pulumi", "pulumi", "automation")
    )) as AutomationApi,
  };
}

/** The operation's result as the story reads it; a failed operation with what the user saw. */
async function result(operation: () => Promise<OperationResult>): Promise<StoryResult> {
  try {
    const r = await operation();
    return { code: 0, text: r.output + r.stderr };
  } catch (e) {
    if (e instanceof EngineCommandError) {
      return { code: 1, text: `${e.output}\n${e.stderr}\n${e.message}` };
    }
    throw e;
  }
}

describe("The plugin from a TypeScript program (Node SDK installed by the README line, Node Automation API, real CLI + emulator)", function () {
  this.timeout(600_000);

  pluginStory("node", async (connection) => {
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "dps-node-sdk-"));
    const installed = await installNodeSdk(workDir).catch((e: unknown) => {
      fs.rmSync(workDir, { recursive: true, force: true });
      throw e;
    });
    const { sdk, automation } = installed;
    const programOf = (p: StoryProgram) => async () => {
      const device = new sdk.IndividualEnrollment("device", {
        registrationId: p.registrationId,
        attestation: { type: "symmetricKey" },
        tags: p.tags,
        provisioningStatus: p.provisioningStatus,
      });
      if (p.importedId) {
        new sdk.IndividualEnrollment(
          "imported",
          { registrationId: p.importedId, attestation: { type: "symmetricKey" } },
          p.importing ? { import: p.importedId } : {},
        );
      }
      return { etag: device.etag };
    };
    const stack = await EngineStack.create({
      program: async () => undefined,
      projectName: "plugin-node",
      automation,
      config: {
        "dps-enrollments:connectionString": { value: connection.connectionString, secret: true },
        "dps-enrollments:endpoint": connection.endpoint,
        "dps-enrollments:caCertificate": connection.caCertificate,
      },
      // The engine finds the plugin as pulumi-resource-dps-enrollments on PATH (docs/plugin.md).
      env: {
        PATH: [PLUGIN_DIR, path.dirname(process.execPath), process.env.PATH ?? ""].join(path.delimiter),
      },
    });
    return {
      setProgram: (p) => stack.setProgram(programOf(p)),
      up: () => result(() => stack.up()),
      previewDiff: () => result(() => stack.preview({ diff: true })),
      refresh: () => result(() => stack.refresh()),
      exportState: async () => {
        const text = await stack.exportStackText();
        const parsed = JSON.parse(text) as { deployment: { resources?: [] } };
        return { text, resources: parsed.deployment.resources ?? [] };
      },
      destroy: () => result(() => stack.destroy()),
      dispose: async () => {
        await stack.dispose();
        fs.rmSync(workDir, { recursive: true, force: true });
      },
    };
  });
});
