// Secrets through the real engine: keys given in plain text in a program, generated keys and the
// connection string never reach `pulumi stack export` in clear; public attestation material may. With
// the connection given once in stack config, state keeps only the DPS host name.
import { strict as assert } from "assert";
import { startEmulator, type EmulatorHandle } from "../../emulator";
import { EnrollmentGroup, IndividualEnrollment } from "../../provider";
import { parseConnectionString } from "../../provider/core/connectionString";
import { ENROLLMENT_GROUP_TYPE } from "../../provider/group/resource";
import { INDIVIDUAL_ENROLLMENT_TYPE } from "../../provider/individual/resource";
import { EngineStack, findPulumi, type StepInfo } from "../support/engine";
import { emulatorClient, emulatorStackConfig } from "../support/service";

/** One resource as `pulumi stack export` shows it. */
interface StateResource {
  type: string;
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown>;
}

function changes(steps: StepInfo[]): string[] {
  return steps.filter((s) => s.op !== "same" && s.op !== "refresh").map((s) => `${s.op} ${s.name}`);
}

const GIVEN_PRIMARY = Buffer.alloc(48, 0x5a).toString("base64");
const GIVEN_SECONDARY = Buffer.alloc(48, 0x3c).toString("base64");

describe("secrets in state (real Pulumi engine + emulator)", function () {
  this.timeout(180_000);
  let emu: EmulatorHandle;
  let stack: EngineStack | undefined;

  before(async () => {
    await findPulumi();
    emu = await startEmulator();
  });
  after(async () => {
    await stack?.dispose();
    await emu?.stop();
  });

  it("encrypts given and generated keys and the connection string", async () => {
    const connection = {
      connectionString: emu.connectionString,
      endpoint: emu.endpoint,
      caCertificate: emu.caCertificate,
    };
    stack = await EngineStack.create({
      projectName: "secrets",
      program: async () => {
        // Plain strings, not pulumi.secret: the resource must protect them itself.
        new IndividualEnrollment("given", {
          connection,
          registrationId: "secret-given",
          attestation: { type: "symmetricKey", primaryKey: GIVEN_PRIMARY, secondaryKey: GIVEN_SECONDARY },
        });
        new IndividualEnrollment("generated", {
          connection,
          registrationId: "secret-generated",
          attestation: { type: "symmetricKey" },
        });
      },
    });
    await stack.up();
    const text = await stack.exportStackText();
    assert.ok(!text.includes(GIVEN_PRIMARY) && !text.includes(GIVEN_SECONDARY), "a given key in clear");
    const client = (await import("../../provider/core/transport")).createServiceClient(connection);
    const generated = (await client.getIndividualEnrollmentAttestationMechanism("secret-generated"))
      .responseBody.symmetricKey;
    assert.ok(generated?.primaryKey && !text.includes(generated.primaryKey), "a generated key in clear");
    assert.ok(!text.includes(parseConnectionString(emu.connectionString).key!), "the policy key in clear");
    await stack.destroy();
  });
});

describe("the connection given once in stack config (real Pulumi engine + emulator)", function () {
  this.timeout(240_000);
  let emu: EmulatorHandle;
  let stack: EngineStack;

  before(async () => {
    await findPulumi();
    emu = await startEmulator();
    stack = await EngineStack.create({
      projectName: "stack-connection",
      config: emulatorStackConfig(emu),
      program: async () => {
        new IndividualEnrollment("fleet", {
          registrationId: "fleet-0",
          attestation: { type: "symmetricKey" },
          tags: { env: "dev" },
        });
        new EnrollmentGroup("group", {
          enrollmentGroupId: "fleet-group",
          attestation: { type: "symmetricKey" },
        });
      },
    });
  });
  afterEach(function () {
    if (this.currentTest?.state === "failed") console.log(stack.transcript);
  });
  after(async () => {
    await stack?.dispose();
    await emu?.stop();
  });

  it("keeps only the DPS host name in state, nothing secret in clear, and previews clean", async () => {
    const r = await stack.up();
    assert.equal(r.summary.resourceChanges?.create, 3, r.output);
    const text = await stack.exportStackText();
    const host = parseConnectionString(emu.connectionString).hostName!;
    assert.ok(!text.includes(parseConnectionString(emu.connectionString).key!), "the policy key in clear");
    const generated = (await emulatorClient(emu).getIndividualEnrollmentAttestationMechanism("fleet-0"))
      .responseBody.symmetricKey;
    assert.ok(generated?.primaryKey && !text.includes(generated.primaryKey), "a generated key in clear");
    const { resources } = (JSON.parse(text) as { deployment: { resources: StateResource[] } }).deployment;
    const types: string[] = [INDIVIDUAL_ENROLLMENT_TYPE, ENROLLMENT_GROUP_TYPE];
    const stored = resources.filter((x) => types.includes(x.type));
    assert.equal(stored.length, 2);
    for (const res of stored) {
      assert.equal(res.inputs.connection, undefined);
      assert.deepEqual(res.outputs.connection, { hostName: host });
    }
    assert.deepEqual(changes((await stack.preview()).steps), []);
  });

  it("refreshes, and a changed config leaves the enrollments alone", async () => {
    const refreshed = await stack.refresh();
    assert.equal(refreshed.summary.result, "succeeded", refreshed.output);
    assert.deepEqual(changes((await stack.preview()).steps), [], "drift after refresh");
    // The same DPS reached another way (here the CA by another path): the provider's config changes,
    // which the engine keeps in its own record; the enrollments do not.
    const ca = emu.caCertificate.replace(/\/([^/]+)$/, "/./$1");
    await stack.setConfig({ "dps-enrollments:caCertificate": ca });
    const r = await stack.up();
    assert.deepEqual(
      changes(r.steps).filter((c) => / (fleet|group)$/.test(c)),
      [],
      r.output,
    );
    // Another DPS in the config: the preview fails naming both, instead of planning replacements whose
    // deletes could not reach the old records.
    const other = emu.connectionString.replace(
      /HostName=[^;]+/,
      "HostName=other.azure-devices-provisioning.net",
    );
    await stack.setConfig({ "dps-enrollments:connectionString": { value: other, secret: true } });
    await assert.rejects(stack.preview(), (err: Error & { output?: string }) => {
      assert.match(
        `${err.message}\n${err.output ?? ""}`,
        /names other\.azure-devices-provisioning\.net; an enrollment/,
      );
      return true;
    });
    await stack.setConfig(emulatorStackConfig(emu));
  });

  it("destroys with the config removed: the engine keeps the provider's config in state", async () => {
    await stack.removeConfig(...Object.keys(emulatorStackConfig(emu)));
    const destroyed = await stack.destroy();
    assert.equal(destroyed.summary.resourceChanges?.delete, 3, destroyed.output);
    await assert.rejects(emulatorClient(emu).getIndividualEnrollment("fleet-0"));
    await assert.rejects(emulatorClient(emu).getEnrollmentGroup("fleet-group"));
  });
});
