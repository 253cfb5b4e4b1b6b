// Upgrade: a stack made by the released version (commit RELEASE, built from git into a temporary
// folder) keeps working with this version. The engine's workspace resolves `pulumi-dps-enrollments`
// through a node_modules link: first to the release (its program and its provider make the state),
// then to this checkout (a preview must show no changes; a Set-style update and a refresh work; the
// connection moves to stack config with no write, shrinking the state, and the stack is destroyed).
import { strict as assert } from "assert";
import { execFileSync, execSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { ProvisioningServiceClient } from "azure-iot-provisioning-service";
import { startEmulator, type EmulatorHandle } from "../../emulator";
import { issueCertificate } from "../../emulator/tls";
import { IndividualEnrollment, type DpsConnectionArgs } from "../../provider";
import { parseConnectionString } from "../../provider/core/connectionString";
import { adrOf, outOfBand2026, read2026 } from "../support/dataPlane2026";
import { emulatorClient, emulatorConnection, emulatorStackConfig } from "../support/service";
import { INDIVIDUAL_ENROLLMENT_TYPE, PROVIDER_MODULE_TEXT } from "../../provider/individual/resource";
import { EngineStack, findPulumi, REPO_ROOT, type StepInfo } from "../support/engine";

/** The released version (0.1.0) that existing stacks were made with. */
const RELEASE = "89b0b7e";
/** What every stack made by the release holds as its provider: it must keep resolving. */
const RELEASED_PROVIDER_TEXT =
  'exports.handler = () => require("pulumi-dps-enrollments/provider/runtime").enrollmentProvider;\n';
const TPM_EK =
  "AToAAQALAAMAsgAgg3GXZ0SEs/gakMyNRqXXJP1S124GUgtk8qHaGzMUaaoABgCAAEMAEAgAAAAAAAEAxsj2gUScTk1UjuioeTlfGYZrrimExB+bScH75adUMRIi2UOMxG1kw4y+9RW/IVoMl4e620VxZad0ARX2gUqVjYO7KPVt3dyKhZS3dkcvfBisBhP1XH9B33VqHG9SHnbnQXdBUaCgKAfxome8UmBKfe+naTsE5fkvjb/do3/dD6l4sGBwFCnKRdln4XpM03zLpoHFao8zOwt8l/uP3qUIxmCYv9A7m69Ms+5/pCkTu/rK4mRDsfhZ0QLfbzVI6zQFOKF/rwsfBtFeWlWtcuJMKlXdD8TXWElTzgh7JS4qhFzreL0c1mI0GCj+Aws0usZh7dLIVPnlgZcBhgy1SSDQMQ==";

type EnrollmentClass = typeof IndividualEnrollment;

/** An Azure Device Registry policy the emulator knows, set on `up-sym` outside Pulumi. */
const ADR_POLICY = "plant-ns/plant-ca/sensors";
const ADR = {
  namespaceName: "plant-ns",
  certificateAuthorityName: "plant-ca",
  certificatePolicyName: "sensors",
};

/** Extracts the release's provider from git and compiles it into `dir/dist`. */
function buildRelease(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  execSync(
    `git -C "${REPO_ROOT}" archive ${RELEASE} provider package.json tsconfig.json | tar -x -C "${dir}"`,
  );
  fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
  fs.writeFileSync(
    path.join(dir, "tsconfig.release.json"),
    JSON.stringify({
      extends: "./tsconfig.json",
      include: ["provider/**/*.ts"],
      compilerOptions: { types: ["node"] },
    }),
  );
  execFileSync(process.execPath, [
    require.resolve("typescript/bin/tsc"),
    "-p",
    path.join(dir, "tsconfig.release.json"),
  ]);
}

/** Points `root/node_modules/pulumi-dps-enrollments` (what the provider text loads) at `target`. */
function linkPackage(root: string, target: string): void {
  const link = path.join(root, "node_modules", "pulumi-dps-enrollments");
  fs.rmSync(link, { force: true });
  fs.symlinkSync(target, link, "dir");
}

/** An enrollment as `pulumi stack export` shows it. */
interface StoredEnrollment {
  urn: string;
  type: string;
  inputs: { connection?: unknown };
  outputs: { connection?: unknown };
}

/**
 * Compact bytes of a record without the program's call site, which the SDK records from whichever
 * program made the last step (the release's, then this test's) and so differs for reasons of its own.
 */
function ownBytes(res: StoredEnrollment): number {
  const {
    sourcePosition: _position,
    stackTrace: _trace,
    ...rest
  } = res as StoredEnrollment & Record<string, unknown>;
  return JSON.stringify(rest).length;
}

/** The enrollments of an exported stack. */
function enrollmentsOf(exported: string): StoredEnrollment[] {
  const { resources } = (JSON.parse(exported) as { deployment: { resources: StoredEnrollment[] } })
    .deployment;
  return resources.filter((res) => res.type === INDIVIDUAL_ENROLLMENT_TYPE);
}

function changes(steps: StepInfo[]): string[] {
  return steps.filter((s) => s.op !== "same" && s.op !== "refresh").map((s) => `${s.op} ${s.name}`);
}

describe("upgrade from the released version (real Pulumi engine + emulator)", function () {
  this.timeout(300_000);
  let root: string;
  let released: string;
  let emu: EmulatorHandle;
  let client: ProvisioningServiceClient;
  let connectionArgs: DpsConnectionArgs;
  let s: EngineStack;
  /** An enrolled device certificate: this version's `certificates` output reports it. */
  let devicePem: string;

  /** The enrollments; `ownConnection: false` leaves the connection to the stack config. */
  function program(Enrollment: EnrollmentClass, tags: Record<string, string>, ownConnection = true) {
    return async () => {
      const connection = ownConnection ? connectionArgs : undefined;
      new Enrollment("sym", {
        connection,
        registrationId: "up-sym",
        attestation: { type: "symmetricKey" },
        tags,
        allocationPolicy: "Hashed",
        iotHubs: emu.linkedHubs.slice(0, 2),
      });
      new Enrollment("tpm", {
        connection,
        registrationId: "up-tpm",
        attestation: { type: "tpm", endorsementKey: TPM_EK },
        deviceId: "up-device",
      });
      new Enrollment("ca", {
        connection,
        registrationId: "up-ca",
        attestation: { type: "x509", primaryCaName: "rootca" },
        provisioningStatus: "disabled",
      });
      new Enrollment("x509", {
        connection,
        registrationId: "up-x509",
        attestation: { type: "x509", primaryCertificate: devicePem },
      });
      return {};
    };
  }

  before(async () => {
    await findPulumi();
    root = fs.mkdtempSync(path.join(os.tmpdir(), "dps-upgrade-"));
    released = path.join(root, "release");
    buildRelease(released);
    // The workspace's node_modules: @pulumi from this checkout, the package from the release.
    fs.mkdirSync(path.join(root, "node_modules"));
    fs.symlinkSync(
      path.join(REPO_ROOT, "node_modules", "@pulumi"),
      path.join(root, "node_modules", "@pulumi"),
      "dir",
    );
    linkPackage(root, released);
    devicePem = (await issueCertificate({ commonName: "up-x509" })).certificatePem;
    emu = await startEmulator({ adrPolicies: [ADR_POLICY] });
    connectionArgs = emulatorConnection(emu);
    client = emulatorClient(emu);
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the release is loaded at run time
    const release = require(path.join(released, "dist", "provider", "index.js")) as {
      IndividualEnrollment: EnrollmentClass;
    };
    s = await EngineStack.create({
      projectName: "upgrade-e2e",
      program: program(release.IndividualEnrollment, { env: "dev" }),
      stateRoot: root,
    });
  });

  afterEach(function () {
    if (s && this.currentTest?.state === "failed") console.log(s.transcript);
  });

  after(async () => {
    await s?.dispose();
    await emu?.stop();
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  it("the released version creates the stack", async () => {
    // The provider text resolves to the release's flat layout, which this version no longer has.
    const runtime = fs.realpathSync(
      path.join(root, "node_modules", "pulumi-dps-enrollments", "dist", "provider", "runtime.js"),
    );
    assert.equal(runtime, path.join(fs.realpathSync(released), "dist", "provider", "runtime.js"));
    assert.ok(fs.existsSync(path.join(released, "dist", "provider", "semantics.js")));
    assert.ok(!fs.existsSync(path.join(released, "dist", "provider", "core")));
    const r = await s.up();
    assert.equal(r.summary.resourceChanges?.create, 5, r.output);
    const state = await s.exportStack();
    const enrollments = (
      state.deployment.resources as { type: string; inputs: Record<string, unknown> }[]
    ).filter((res) => res.type === INDIVIDUAL_ENROLLMENT_TYPE);
    assert.equal(enrollments.length, 4);
    for (const res of enrollments) assert.equal(res.inputs.__provider, RELEASED_PROVIDER_TEXT);
  });

  it("ADR references set outside Pulumi, which the release's refresh cannot see, are on the record", async () => {
    // Another tool sets them with 2026-11-01; the release then refreshes (2021-10-01 reads): its state
    // has the new etag and no ADR fields, the trap a Set from that state must not fall into.
    const put = await outOfBand2026(emu, "enrollments", "up-sym", (r) => Object.assign(r, ADR));
    const refreshed = await s.refresh();
    assert.equal(refreshed.summary.result, "succeeded", refreshed.output);
    const sym = (await s.exportStack()).deployment.resources.find((res: { urn: string }) =>
      res.urn.endsWith("::sym"),
    ) as { outputs: Record<string, unknown> };
    assert.equal(sym.outputs.etag, (put.json() as { etag: string }).etag, "the release stored the new etag");
    assert.equal(sym.outputs.namespaceName, undefined);
  });

  it("this version previews the released stack with no changes and no service call", async () => {
    assert.equal(PROVIDER_MODULE_TEXT, RELEASED_PROVIDER_TEXT, "new stacks store the same provider text");
    linkPackage(root, REPO_ROOT);
    s.setProgram(program(IndividualEnrollment, { env: "dev" }));
    emu.resetStats();
    const p = await s.preview();
    assert.deepEqual(changes(p.steps), [], p.output);
    assert.equal(emu.stats().total, 0);
  });

  it("this version's first Set of the released state reads once and keeps the ADR references", async () => {
    s.setProgram(program(IndividualEnrollment, { env: "stage" }));
    emu.resetStats();
    const r = await s.up();
    assert.equal(r.summary.resourceChanges?.update, 1, r.output);
    const calls = emu.stats().operations;
    assert.equal(calls.get, 1, "one read of the enrollment the Set changes");
    assert.equal(calls.put, 1);
    const sym = await read2026(emu, "enrollments", "up-sym");
    assert.deepEqual((sym.initialTwin as { tags?: unknown }).tags, { env: "stage" });
    assert.deepEqual(adrOf(sym), ADR, "the first Set after the upgrade dropped the ADR references");
  });

  it("this version refreshes it with no drift, then applies a Set to it keeping the keys", async () => {
    const keys = (await client.getIndividualEnrollmentAttestationMechanism("up-sym")).responseBody
      .symmetricKey;
    const refreshed = await s.refresh();
    assert.equal(refreshed.summary.result, "succeeded", refreshed.output);
    assert.deepEqual(changes((await s.preview()).steps), [], "drift after refresh");
    // The released state had no `certificates` output; the refresh fills it in from the service's info.
    const resources = (await s.exportStack()).deployment.resources as {
      urn: string;
      outputs?: { certificates?: { primary?: { sha256Thumbprint?: string } } };
    }[];
    const x509 = resources.find((res) => res.urn.endsWith("::x509"));
    assert.equal(
      x509?.outputs?.certificates?.primary?.sha256Thumbprint,
      new X509Certificate(devicePem).fingerprint256.replace(/:/g, ""),
    );
    s.setProgram(program(IndividualEnrollment, { env: "prod" }));
    const r = await s.up();
    assert.equal(r.summary.resourceChanges?.update, 1, r.output);
    const sym = (await client.getIndividualEnrollment("up-sym")).responseBody;
    assert.deepEqual(sym.initialTwin?.tags, { env: "prod" });
    assert.deepEqual(
      (await client.getIndividualEnrollmentAttestationMechanism("up-sym")).responseBody.symmetricKey,
      keys,
    );
  });

  it("this version moves its connection to stack config with no write, then refreshes and destroys it", async () => {
    const before = await s.exportStackText();
    await s.setConfig(emulatorStackConfig(emu));
    s.setProgram(program(IndividualEnrollment, { env: "prod" }, false));
    emu.resetStats();
    const r = await s.up();
    assert.equal(r.summary.resourceChanges?.update, 4, r.output);
    // One GET each proves the stack's connection reaches the same records; nothing is written.
    assert.deepEqual([emu.stats().operations.put, emu.stats().operations.get], [0, 4]);
    const after = await s.exportStackText();
    const hostName = parseConnectionString(emu.connectionString).hostName;
    const [olds, news] = [enrollmentsOf(before), enrollmentsOf(after)];
    news.forEach((res) => {
      assert.deepEqual([res.inputs.connection, res.outputs.connection], [undefined, { hostName }]);
      const [was, is] = [ownBytes(olds.find((old) => old.urn === res.urn)!), ownBytes(res)];
      assert.ok(is < was - 800, `${res.urn}: ${was} -> ${is} bytes compact`);
    });
    assert.deepEqual(changes((await s.preview()).steps), [], "changes after the move");
    const refreshed = await s.refresh();
    assert.equal(refreshed.summary.result, "succeeded", refreshed.output);
    assert.deepEqual(changes((await s.preview()).steps), [], "drift after refresh");
    const destroyed = await s.destroy();
    assert.equal(destroyed.summary.resourceChanges?.delete, 5, destroyed.output);
    await assert.rejects(client.getIndividualEnrollment("up-sym"));
  });
});
