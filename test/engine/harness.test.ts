// Proves the engine harness with the no-op dynamic resource through the real Pulumi CLI and engine:
// preview, up, no-change preview, update, replace, refresh, export (secrets encrypted), destroy.
// Needs `npm run ensure-pulumi` (the suite fails, saying what to run, when no CLI is found).
import * as assert from "assert";
import { spawn } from "child_process";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { EngineStack, findPulumi } from "../support/engine";
import { NOOP_TYPE, Noop } from "../support/noop";
import { commandOf } from "../support/processes";

const SECRET = "s3cr3t-plaintext-value";

/** A program with two no-op resources whose inputs the test varies. */
function program(aValue: string, bKey: string): () => Promise<Record<string, unknown>> {
  return async () => {
    const cfg = new pulumi.Config();
    const a = new Noop("a", { value: aValue });
    const b = new Noop("b", { value: "b", key: bKey });
    const s = new Noop("s", { value: cfg.requireSecret("secretValue") });
    return { aValue: a.value, bId: b.id, secret: s.value };
  };
}

describe("engine harness (real Pulumi CLI, no-op resource)", function () {
  this.timeout(180_000);
  let s: EngineStack | undefined;

  before(async function () {
    // No skipping: `npm test` runs scripts/ensure-pulumi first, so a missing CLI is a failure to see.
    await findPulumi();
    s = await EngineStack.create({
      projectName: "harness",
      program: program("one", "k1"),
      config: { "harness:secretValue": { value: SECRET, secret: true }, "harness:plain": "hello" },
    });
  });

  after(async () => {
    await s?.dispose();
  });

  function stack(): EngineStack {
    assert.ok(s, "stack not created");
    return s;
  }

  it("previews a new stack as creates, changing nothing", async () => {
    const p = await stack().preview();
    assert.strictEqual(p.changeSummary.create, 4, p.output); // stack + 3 resources
    assert.deepStrictEqual(p.steps.map((x) => `${x.op} ${x.name}`).sort(), [
      "create a",
      "create b",
      "create s",
    ]);
    assert.match(p.output, /\+\s+4 to create/);
    assert.strictEqual((await stack().exportStack()).deployment.resources, undefined);
  });

  it("creates the resources with up", async () => {
    const r = await stack().up();
    assert.strictEqual(r.summary.result, "succeeded");
    assert.strictEqual(r.summary.resourceChanges?.create, 4);
    assert.strictEqual(r.outputs.aValue.value, "one");
    assert.strictEqual(r.outputs.secret.secret, true);
    assert.strictEqual(r.outputs.secret.value, SECRET);
    assert.match(String(r.outputs.bId.value), /^noop-/);
  });

  it("previews no changes when nothing changed", async () => {
    const p = await stack().preview();
    assert.deepStrictEqual(Object.keys(p.changeSummary), ["same"], p.output);
    assert.ok(p.steps.every((x) => x.op === "same"));
  });

  it("previews and applies an input change as an in-place update of that resource only", async () => {
    stack().setProgram(program("two", "k1"));
    const p = await stack().preview();
    assert.strictEqual(p.changeSummary.update, 1, p.output);
    const changed = p.steps.filter((x) => x.op !== "same");
    assert.deepStrictEqual(
      changed.map((x) => `${x.op} ${x.name}`),
      ["update a"],
    );
    assert.match(p.output, /~ 1 to update/);
    const r = await stack().up();
    assert.strictEqual(r.summary.resourceChanges?.update, 1);
    assert.strictEqual(r.outputs.aValue.value, "two");
  });

  it("replaces a resource when a replace-only input changes", async () => {
    const before = (await stack().outputs()).bId.value;
    stack().setProgram(program("two", "k2"));
    const p = await stack().preview();
    assert.strictEqual(p.changeSummary.replace, 1, p.output);
    const r = await stack().up();
    assert.strictEqual(r.summary.resourceChanges?.replace, 1);
    assert.notStrictEqual(r.outputs.bId.value, before);
  });

  it("refreshes without finding drift", async () => {
    const r = await stack().refresh();
    assert.strictEqual(r.summary.result, "succeeded");
    assert.ok(!r.summary.resourceChanges?.update, r.output);
  });

  it("exports the stack with secrets encrypted", async () => {
    const text = await stack().exportStackText();
    const dep = (await stack().exportStack()).deployment as { resources?: { type: string }[] };
    assert.strictEqual(dep.resources?.filter((x) => x.type === NOOP_TYPE).length, 3);
    assert.ok(!text.includes(SECRET), "secret config value appears in plaintext in the stack export");
    assert.match(text, /4dabf18193072939515e22adb298388d/); // the secret signature
    const shown = JSON.stringify(await stack().exportStackShowingSecrets());
    assert.ok(shown.includes(SECRET), "the secret is in the state, encrypted");
  });

  it("destroys everything", async () => {
    const r = await stack().destroy();
    assert.strictEqual(r.summary.resourceChanges?.delete, 4, r.output);
    const dep = (await stack().exportStack()).deployment as { resources?: unknown[] };
    assert.strictEqual(dep.resources?.length ?? 0, 0);
  });

  it("reports a failed operation with what the user saw", async () => {
    stack().setProgram(async () => {
      throw new Error("program exploded on purpose");
    });
    await assert.rejects(stack().preview(), (err: Error & { output?: string }) => {
      assert.match(`${err.message}\n${err.output ?? ""}`, /program exploded on purpose/);
      return true;
    });
  });

  it("fails dispose when a process outlives its engine, and ends it", async () => {
    const leak = await EngineStack.create({ projectName: "harness-leak", program: async () => undefined });
    // What a killed engine leaves: a process of its own group, working in the stack's workspace.
    const child = spawn(process.execPath, ["-e", "setInterval(() => undefined, 1000)"], {
      cwd: path.join(leak.dir, "work"),
      detached: true,
      stdio: "ignore",
    });
    const exited = new Promise((resolve) => child.once("exit", resolve));
    const pid = child.pid as number;
    await assert.rejects(leak.dispose(), new RegExp(`outlived their engine[^]*${pid}`));
    await exited;
    assert.equal(commandOf(pid), undefined, "the leftover process still runs");
  });
});
