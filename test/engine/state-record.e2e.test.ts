// What the engine stores for an enrollment besides its properties (real Pulumi engine + emulator): the
// declaring line of the program, not its whole call stack, while other resources keep the SDK's full
// trace; and an attestation output kept readable when it holds only public material (TPM, X.509),
// secret when it holds keys.
import { strict as assert } from "assert";
import { readFileSync } from "fs";
import * as path from "path";
import { startEmulator, type EmulatorHandle } from "../../emulator";
import { createTlsMaterial } from "../../emulator/tls";
import { EnrollmentGroup, IndividualEnrollment } from "../../provider";
import { EngineStack, findPulumi, REPO_ROOT } from "../support/engine";
import { Noop } from "../support/noop";
import { TPM_EK } from "../support/tpm";
import { emulatorClient, emulatorStackConfig } from "../support/service";

/** One resource as `pulumi stack export` shows it. */
interface StateResource {
  urn: string;
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown>;
  sourcePosition?: string;
  stackTrace?: { sourcePosition?: string }[];
  additionalSecretOutputs?: string[];
}

/**
 * Where the SDK records the line of this file that contains `text`: the compiled test's line, or the
 * TypeScript source's when stack traces are source-mapped (a test earlier in the run may turn that on).
 */
function positionOf(text: string): RegExp {
  const lineIn = (file: string) => {
    const at = readFileSync(file, "utf8")
      .split("\n")
      .findIndex((l) => l.includes(text));
    assert.ok(at >= 0, `${text} not found in ${file}`);
    return at + 1;
  };
  const js = lineIn(__filename);
  const ts = lineIn(path.join(REPO_ROOT, "test", "engine", "state-record.e2e.test.ts"));
  return new RegExp(`state-record\\.e2e\\.test\\.(js#${js}|ts#${ts}),`);
}

describe("the engine's record of an enrollment (real Pulumi engine + emulator)", function () {
  this.timeout(180_000);
  let emu: EmulatorHandle;
  let stack: EngineStack;

  before(async () => {
    await findPulumi();
    emu = await startEmulator();
    const signing = (await createTlsMaterial()).caCertificatePem;
    stack = await EngineStack.create({
      projectName: "state-record",
      config: emulatorStackConfig(emu),
      program: async () => {
        new IndividualEnrollment("keys", {
          registrationId: "rec-keys",
          attestation: { type: "symmetricKey" },
        });
        new IndividualEnrollment("tpm", {
          registrationId: "rec-tpm",
          attestation: { type: "tpm", endorsementKey: TPM_EK },
        });
        new EnrollmentGroup("x509", {
          enrollmentGroupId: "rec-x509",
          attestation: { type: "x509", primaryCertificate: signing },
        });
        new Noop("noop", { value: "v1" });
      },
    });
  });
  afterEach(function () {
    if (this.currentTest?.state === "failed") console.log(stack.transcript);
  });
  after(async () => {
    await stack?.destroy().catch(() => undefined);
    await stack?.dispose();
    await emu?.stop();
  });

  it("records the program's line of each enrollment, and the whole stack only for other resources", async () => {
    const r = await stack.up();
    assert.equal(r.summary.resourceChanges?.create, 5, r.output);
    const resources = (await stack.exportStack()).deployment.resources as unknown as StateResource[];
    const byName = (name: string) => resources.find((x) => x.urn.endsWith(`::${name}`))!;
    const at = positionOf;
    for (const [name, kind] of [
      ["keys", "IndividualEnrollment"],
      ["tpm", "IndividualEnrollment"],
      ["x509", "EnrollmentGroup"],
    ]) {
      const res = byName(name);
      assert.match(res.sourcePosition ?? "", at(`${kind}("${name}"`), `${name}: ${res.sourcePosition}`);
      assert.deepEqual(res.stackTrace, [{ sourcePosition: res.sourcePosition }], name);
    }
    const noop = byName("noop");
    // The SDK's whole trace (Noop, a `dynamic.Resource`, is one class deeper: its first frame is its own).
    const frames = (noop.stackTrace ?? []).map((f) => f.sourcePosition ?? "");
    assert.ok(frames.length > 1, "the SDK's hook was not put back");
    assert.ok(
      frames.some((f) => at(`Noop("noop"`).test(f)),
      frames.join("\n"),
    );
  });

  it("keeps generated keys secret and public attestation material readable", async () => {
    const resources = (await stack.exportStack()).deployment.resources as unknown as StateResource[];
    const byName = (name: string) => resources.find((x) => x.urn.endsWith(`::${name}`))!;
    const secret = (value: unknown) =>
      typeof value === "object" && value !== null && "4dabf18193072939515e22adb298388d" in value;
    assert.ok(secret(byName("keys").outputs.attestation), "generated keys in clear");
    assert.deepEqual(byName("keys").additionalSecretOutputs, ["attestation"]);
    const tpm = byName("tpm");
    assert.equal((tpm.outputs.attestation as { endorsementKey?: string }).endorsementKey, TPM_EK);
    assert.equal(tpm.additionalSecretOutputs, undefined);
    const x509 = byName("x509").outputs.attestation as { type?: string; primaryCertificate?: string };
    assert.equal(x509.type, "x509");
    const stored = (await emulatorClient(emu).getEnrollmentGroup("rec-x509")).responseBody;
    assert.equal(stored.attestation.type, "x509");
    // The program reads them as before, and nothing changes on the next run.
    const preview = await stack.preview();
    assert.deepEqual(
      preview.steps.filter((s) => s.op !== "same").map((s) => `${s.op} ${s.name}`),
      [],
    );
  });
});
