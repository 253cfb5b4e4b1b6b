// End to end: Azure Device Registry certificate-policy references (data plane 2026-11-01) through the
// real Pulumi CLI and engine against the emulator. Writers outside Pulumi and read-backs use raw
// 2026-11-01 requests (the official client speaks 2021-10-01, which cannot see these fields).
// One stack, one story; the steps depend on each other and run in order.
import { strict as assert } from "assert";
import { startEmulator, type EmulatorHandle } from "../../emulator";
import { IndividualEnrollment, type DpsConnectionArgs } from "../../provider";
import { raw } from "../emulator/helpers";
import { adrOf, outOfBand2026, read2026, V2026 } from "../support/dataPlane2026";
import { emulatorConnection } from "../support/service";
import { EngineCommandError, EngineStack, findPulumi, type StepInfo } from "../support/engine";

const POLICY = {
  namespaceName: "plant-ns",
  certificateAuthorityName: "plant-ca",
  certificatePolicyName: "sensors",
};
const OTHER = { ...POLICY, certificatePolicyName: "gateways" };

interface Desired {
  /** The ADR names of `issued` (a partial set is bad input). */
  issued: Partial<typeof POLICY>;
  /** Tags of `plain`, which names no policy. */
  plainTags: Record<string, string>;
}

function changes(steps: StepInfo[]): string[] {
  return [
    ...new Set(steps.filter((s) => s.op !== "same" && s.op !== "refresh").map((s) => `${s.op} ${s.name}`)),
  ].sort();
}

describe("ADR certificate-policy references end to end (real Pulumi engine + emulator)", function () {
  this.timeout(240_000);
  let emu: EmulatorHandle;
  let s: EngineStack;
  let connection: DpsConnectionArgs;
  let desired: Desired = { issued: POLICY, plainTags: { env: "dev" } };

  function program(d: Desired): () => Promise<Record<string, unknown>> {
    return async () => {
      const issued = new IndividualEnrollment("issued", {
        connection,
        registrationId: "adr-issued",
        attestation: { type: "symmetricKey" },
        ...d.issued,
      });
      const plain = new IndividualEnrollment("plain", {
        connection,
        registrationId: "adr-plain",
        attestation: { type: "symmetricKey" },
        tags: d.plainTags,
      });
      return {
        issuedPolicy: issued.certificatePolicyName,
        plainPolicy: plain.certificatePolicyName,
      };
    };
  }

  function use(d: Desired): void {
    desired = d;
    s.setProgram(program(d));
  }

  const record = (id: string) => read2026(emu, "enrollments", id);

  before(async () => {
    await findPulumi();
    emu = await startEmulator({
      adrPolicies: [POLICY, OTHER].map(
        (p) => `${p.namespaceName}/${p.certificateAuthorityName}/${p.certificatePolicyName}`,
      ),
    });
    connection = emulatorConnection(emu);
    s = await EngineStack.create({ projectName: "adr-e2e", program: program(desired) });
  });

  afterEach(function () {
    if (s && this.currentTest?.state === "failed") console.log(s.transcript);
  });

  after(async () => {
    await s?.dispose();
    await emu?.stop();
  });

  it("a policy named without its certificate authority fails the preview, naming it, with no call", async () => {
    use({ ...desired, issued: { namespaceName: POLICY.namespaceName, certificatePolicyName: "sensors" } });
    emu.resetStats();
    const error = await s.preview().then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(error instanceof EngineCommandError, "preview should fail");
    assert.match(
      error.output + error.stderr,
      /certificateAuthorityName is missing: an Azure Device Registry certificate policy is named by namespaceName, certificateAuthorityName and certificatePolicyName together/,
    );
    assert.equal(emu.stats().total, 0);
    use({ ...desired, issued: POLICY });
  });

  it("up creates an enrollment that names the policy; the record and the outputs hold it", async () => {
    const r = await s.up();
    assert.equal(r.summary.result, "succeeded", r.output);
    assert.equal(r.summary.resourceChanges?.create, 3);
    assert.deepEqual(adrOf(await record("adr-issued")), POLICY);
    assert.equal(r.outputs.issuedPolicy.value, "sensors");
    assert.equal(r.outputs.plainPolicy?.value, undefined);
  });

  it("a Set from a program that does not name them keeps references set outside Pulumi", async () => {
    await outOfBand2026(emu, "enrollments", "adr-plain", (r) => Object.assign(r, POLICY));

    use({ ...desired, plainTags: { env: "prod" } });
    const p = await s.preview();
    assert.deepEqual(changes(p.steps), ["update plain"], p.output);
    const r = await s.up();
    assert.equal(r.summary.resourceChanges?.update, 1, r.output);
    const after = await record("adr-plain");
    assert.deepEqual(adrOf(after), POLICY, "the Set dropped the ADR references");
    assert.deepEqual((after.initialTwin as { tags?: unknown }).tags, { env: "prod" });
    assert.equal(r.outputs.plainPolicy.value, "sensors", "the outputs do not show what the record holds");
  });

  it("refresh then preview: references set outside Pulumi are not drift of a program that does not name them", async () => {
    const r = await s.refresh();
    assert.equal(r.summary.result, "succeeded", r.output);
    const p = await s.preview();
    assert.deepEqual(changes(p.steps), [], p.output);
  });

  it("changing the policy is an in-place update of the three names", async () => {
    use({ ...desired, issued: OTHER });
    const p = await s.preview({ diff: true });
    assert.deepEqual(changes(p.steps), ["update issued"], p.output);
    assert.match(p.output, /certificatePolicyName/);
    const r = await s.up();
    assert.equal(r.summary.resourceChanges?.update, 1, r.output);
    assert.deepEqual(adrOf(await record("adr-issued")), OTHER);
  });

  it("destroy deletes both", async () => {
    const r = await s.destroy();
    assert.equal(r.summary.result, "succeeded", r.output);
    for (const id of ["adr-issued", "adr-plain"]) {
      assert.equal((await raw(emu, `/enrollments/${id}?${V2026}`)).status, 404, id);
    }
  });
});
