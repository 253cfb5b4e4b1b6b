// End to end through the plugin from TypeScript: a program written with the generated Node SDK
// (sdk/nodejs, built as its own package.json says, `npm run build`, in a copy at .tools/sdk-nodejs, and
// loaded through its package.json's `main`), run as an inline
// program of the Node Automation API (test/support/engine.ts) with the plugin bin on PATH; the
// shared story of test/support/pluginStory.ts against the emulator.
import * as fs from "node:fs";
import * as path from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import { runOk } from "../support/commands";
import { PLUGIN_DIR } from "../support/cliProject";
import { EngineCommandError, EngineStack, REPO_ROOT, type OperationResult } from "../support/engine";
import { pluginStory, type StoryProgram, type StoryResult } from "../support/pluginStory";

const SDK_SOURCE = path.join(REPO_ROOT, "sdk", "nodejs");
const SDK_BUILD = path.join(REPO_ROOT, ".tools", "sdk-nodejs");

/**
 * What the test uses of the built SDK. (Importing its types from sdk/nodejs would compile the
 * generated sources with this repository's stricter tsconfig; sdk.test.ts type-checks them with theirs.)
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

/** Builds the Node SDK as its package.json says (`npm run build`, its tsc from this repository). */
async function buildNodeSdk(): Promise<NodeSdk> {
  fs.rmSync(SDK_BUILD, { recursive: true, force: true });
  fs.cpSync(SDK_SOURCE, SDK_BUILD, { recursive: true });
  fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(SDK_BUILD, "node_modules"));
  await runOk("npm", ["run", "build"], { cwd: SDK_BUILD });
  return (await import(SDK_BUILD)) as NodeSdk;
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

describe("The plugin from a TypeScript program (generated Node SDK, Node Automation API, real CLI + emulator)", function () {
  this.timeout(600_000);

  pluginStory("node", async (connection) => {
    const sdk = await buildNodeSdk();
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
      dispose: () => stack.dispose(),
    };
  });
});
