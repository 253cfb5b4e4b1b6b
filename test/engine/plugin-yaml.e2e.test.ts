// End to end through the plugin as a YAML team installs it: the standalone plugin's tarball installed
// with `pulumi plugin install resource dps-enrollments <version> --file <tarball>`, no Node on PATH; a
// Pulumi YAML program (the real CLI and pulumi-language-yaml) against the local emulator, which the
// official service client reads and changes out of band. One stack, one story: the steps depend on
// each other and run in order. Needs `npm run ensure-pulumi`, `npm run ensure-yaml` and `npm run dist`.
import { strict as assert } from "assert";
import { createHmac } from "node:crypto";
import type { ProvisioningServiceClient } from "azure-iot-provisioning-service";
import { startEmulator, type EmulatorHandle } from "../../emulator";
import { CliProject, findYamlHost } from "../support/cliProject";
import { emulatorClient } from "../support/service";

const TOKEN = "dps-enrollments:index:IndividualEnrollment";

/** The program: one enrollment, its tags and provisioning status as given. */
function program(tags: string, extra = ""): string {
  return (
    "resources:\n" +
    "  device:\n" +
    `    type: ${TOKEN}\n` +
    "    properties:\n" +
    "      registrationId: yaml-device-1\n" +
    "      attestation:\n        type: symmetricKey\n" +
    `      tags:\n        env: ${tags}\n` +
    extra
  );
}

/** What the tests read of a record. */
interface Record_ {
  etag: string;
  initialTwin?: { tags?: Record<string, unknown> };
  optionalDeviceInformation?: Record<string, unknown>;
  provisioningStatus?: string;
}

describe("The plugin from a Pulumi YAML program (real CLI + emulator)", function () {
  this.timeout(600_000);
  let emu: EmulatorHandle;
  let client: ProvisioningServiceClient;
  let project: CliProject;
  let keys: { primaryKey?: string; secondaryKey?: string };

  const record = async (id: string) =>
    (await client.getIndividualEnrollment(id)).responseBody as unknown as Record_;
  const symmetricKeys = async (id: string) =>
    (
      (await client.getIndividualEnrollmentAttestationMechanism(id)).responseBody as {
        symmetricKey: { primaryKey?: string; secondaryKey?: string };
      }
    ).symmetricKey;
  const setProgram = (body: string) => project.writeProgram("plugin-yaml", "yaml", body);

  before(async () => {
    const yamlHost = findYamlHost();
    emu = await startEmulator({ port: 0 });
    client = emulatorClient(emu);
    project = await CliProject.create("plugin-yaml", "yaml", [yamlHost], { plugin: "installed" });
    await project.configureEmulator(emu);
  });

  after(async () => {
    await project?.dispose();
    await emu?.stop();
  });

  it("creates the enrollment, with no connection in state and the keys secret", async () => {
    setProgram(program("dev"));
    await project.ok("up", "--yes", "--skip-preview");
    const held = await record("yaml-device-1");
    assert.deepEqual(held.initialTwin?.tags, { env: "dev" });
    keys = await symmetricKeys("yaml-device-1");
    assert.ok(keys.primaryKey && keys.secondaryKey, "the service generated both keys");
    const state = await project.exportState();
    const device = state.resources.find((r) => r.type === TOKEN);
    assert.ok(device, "the enrollment is in the stack");
    assert.equal(device.id, "yaml-device-1");
    assert.equal(device.outputs?.connection, undefined, "no connection in the resource's state");
    assert.ok(!state.text.includes(keys.primaryKey!), "the primary key is not in plaintext state");
    assert.ok(
      !state.text.includes(emu.connectionString.split("SharedAccessKey=")[1]),
      "no policy key in state",
    );
  });

  it("after `up`, `refresh` then `preview` show nothing (a DPS answering as recorded), with no key read", async () => {
    emu.resetStats();
    await project.ok("refresh", "--yes", "--skip-preview");
    assert.equal(emu.stats().operations.attestation, 0, "the refresh read no key");
    const preview = await project.ok("preview", "--diff");
    assert.match(preview.stdout, /\d+ unchanged/, preview.stdout);
    assert.doesNotMatch(preview.stdout, /to (create|update|replace|delete)/, preview.stdout);
    assert.deepEqual(await symmetricKeys("yaml-device-1"), keys, "the keys are kept");
  });

  it("shows the Set's write in `preview --diff`, then writes it keeping keys and unmanaged fields", async () => {
    // Someone else adds device information (not in the program), which moves the etag.
    const before = await client.getIndividualEnrollment("yaml-device-1");
    const body = before.responseBody as unknown as Record<string, unknown>;
    await client.createOrUpdateIndividualEnrollment({
      ...body,
      // A careful writer: GET hides the keys, and a PUT without them would make the service generate new ones.
      attestation: { type: "symmetricKey", symmetricKey: keys },
      optionalDeviceInformation: { owner: "ops" },
    } as never);
    setProgram(program("prod"));
    const preview = await project.ok("preview", "--diff");
    assert.match(preview.stdout, /~ tags\s*:/, preview.stdout);
    assert.match(preview.stdout, /"?env"?\s*:\s*"dev"\s*=>\s*"prod"/, preview.stdout);
    assert.doesNotMatch(preview.stdout, /optionalDeviceInformation/, "only the Set's write is shown");
    await project.ok("up", "--yes", "--skip-preview");
    const held = await record("yaml-device-1");
    assert.deepEqual(held.initialTwin?.tags, { env: "prod" });
    assert.deepEqual(held.optionalDeviceInformation, { owner: "ops" }, "the unmanaged field is kept");
    assert.deepEqual(await symmetricKeys("yaml-device-1"), keys, "the keys are kept");
  });

  it("names drift after `pulumi refresh` with the DPS's value", async () => {
    const current = (await client.getIndividualEnrollment("yaml-device-1")).responseBody as unknown as Record<
      string,
      unknown
    >;
    await client.createOrUpdateIndividualEnrollment({
      ...current,
      attestation: { type: "symmetricKey", symmetricKey: keys },
      initialTwin: { tags: { env: "hacked" }, properties: { desired: {} } },
    } as never);
    await project.ok("refresh", "--yes", "--skip-preview");
    const preview = await project.ok("preview", "--diff");
    assert.match(preview.stdout, /"?env"?\s*:\s*"hacked"\s*=>\s*"prod"/, preview.stdout);
    await project.ok("up", "--yes", "--skip-preview");
    assert.deepEqual((await record("yaml-device-1")).initialTwin?.tags, { env: "prod" });
  });

  it("imports a record by its id alone (`pulumi import`), with no write", async () => {
    await client.createOrUpdateIndividualEnrollment({
      registrationId: "yaml-imported",
      attestation: { type: "symmetricKey" },
      initialTwin: { tags: { owner: "someone" }, properties: { desired: {} } },
    } as never);
    const etag = (await record("yaml-imported")).etag;
    const result = await project.ok(
      "import",
      TOKEN,
      "imported",
      "yaml-imported",
      "--yes",
      "--generate-code=false",
    );
    assert.match(result.stdout, /=\s+.*imported\s+import/, result.stdout);
    assert.equal((await record("yaml-imported")).etag, etag, "the import wrote nothing");
    const state = await project.exportState();
    const imported = state.resources.find((r) => r.id === "yaml-imported");
    assert.ok(imported, "the record is in the stack");
    assert.equal(imported.inputs?.registrationId, "yaml-imported");
    assert.deepEqual(imported.inputs?.attestation, { type: "symmetricKey" });
    assert.deepEqual(imported.outputs?.tags, { owner: "someone" });
    // The program takes it over as imported: nothing to change.
    setProgram(
      program("prod") +
        "  imported:\n" +
        `    type: ${TOKEN}\n` +
        "    properties:\n      registrationId: yaml-imported\n      attestation:\n        type: symmetricKey\n",
    );
    const preview = await project.ok("preview", "--diff");
    assert.doesNotMatch(preview.stdout, /[~+-]\s+.*imported/, preview.stdout);
    // `pulumi import` protects what it imports; an update from the program lifts that, still with no write.
    await project.ok("up", "--yes", "--skip-preview");
    assert.equal((await record("yaml-imported")).etag, etag, "taking it over wrote nothing");
  });

  it("fails bad input at preview, naming the property, with nothing written", async () => {
    const etag = (await record("yaml-device-1")).etag;
    setProgram(program("prod", "      provisioningStatus: Sometimes\n"));
    const preview = await project.run("preview");
    assert.notEqual(preview.code, 0, "the preview fails");
    assert.match(
      preview.stdout + preview.stderr,
      /provisioningStatus "Sometimes" is not valid; use one of Enabled, Disabled/,
    );
    const up = await project.run("up", "--yes", "--skip-preview");
    assert.notEqual(up.code, 0, "so does the update");
    assert.equal((await record("yaml-device-1")).etag, etag, "nothing was written");
  });

  it("destroys both records", async () => {
    setProgram(program("prod"));
    await project.ok("destroy", "--yes", "--skip-preview");
    for (const id of ["yaml-device-1", "yaml-imported"]) {
      await assert.rejects(
        client.getIndividualEnrollment(id),
        (e: { response?: { statusCode?: number } }) => e.response?.statusCode === 404,
      );
    }
  });
});

const GROUP_TOKEN = "dps-enrollments:index:EnrollmentGroup";

/**
 * The second program: a symmetric-key group; a device key derived from its kept key (the plugin's
 * function), exported and given to an enrollment (`device7`); an enrollment whose tags follow the
 * group's etag (`watcher`); and an enrollment in a second DPS through an explicit provider
 * configured from the project's config.
 */
function groupProgram(env: string): string {
  return (
    "config:\n" +
    "  connectionString:\n    type: string\n    secret: true\n" +
    "  endpoint:\n    type: string\n" +
    "  caCertificate:\n    type: string\n" +
    "resources:\n" +
    "  second:\n" +
    "    type: pulumi:providers:dps-enrollments\n" +
    "    properties:\n" +
    "      connectionString: ${connectionString}\n" +
    "      endpoint: ${endpoint}\n" +
    "      caCertificate: ${caCertificate}\n" +
    "  fleet:\n" +
    `    type: ${GROUP_TOKEN}\n` +
    "    properties:\n" +
    "      enrollmentGroupId: yaml-fleet\n" +
    "      attestation:\n        type: symmetricKey\n" +
    `      tags:\n        env: ${env}\n` +
    "  elsewhere:\n" +
    `    type: ${TOKEN}\n` +
    "    properties:\n" +
    "      registrationId: yaml-elsewhere\n" +
    "      attestation:\n        type: symmetricKey\n" +
    "    options:\n      provider: ${second}\n" +
    "  device7:\n" +
    `    type: ${TOKEN}\n` +
    "    properties:\n" +
    "      registrationId: fleet-device-7\n" +
    "      attestation:\n        type: symmetricKey\n" +
    "        primaryKey: ${deviceKey}\n        secondaryKey: ${deviceKey}\n" +
    "      tags:\n        groupCreated: ${fleet.createdDateTimeUtc}\n" +
    "  watcher:\n" +
    `    type: ${TOKEN}\n` +
    "    properties:\n" +
    "      registrationId: fleet-watcher\n" +
    "      attestation:\n        type: symmetricKey\n" +
    "      tags:\n        groupEtag: ${fleet.etag}\n" +
    "variables:\n" +
    "  deviceKey:\n" +
    "    fn::invoke:\n" +
    "      function: dps-enrollments:index:deriveDeviceKey\n" +
    "      arguments:\n" +
    "        groupKey: ${fleet.attestation.primaryKey}\n" +
    "        registrationId: fleet-device-7\n" +
    "      return: deviceKey\n" +
    "outputs:\n" +
    "  deviceKey: ${deviceKey}\n"
  );
}

describe("The plugin from Pulumi YAML: groups, deriveDeviceKey, a second DPS, previews of updates", function () {
  this.timeout(600_000);
  let emu: EmulatorHandle;
  let second: EmulatorHandle;
  let client: ProvisioningServiceClient;
  let secondClient: ProvisioningServiceClient;
  let project: CliProject;
  let groupKey: string;

  const expectedDeviceKey = () =>
    createHmac("sha256", Buffer.from(groupKey, "base64")).update("fleet-device-7").digest("base64");
  const outputs = async () =>
    JSON.parse((await project.ok("stack", "output", "--json", "--show-secrets")).stdout) as Record<
      string,
      string
    >;
  const notFound = (e: { response?: { statusCode?: number } }) => e.response?.statusCode === 404;

  before(async () => {
    const yamlHost = findYamlHost();
    emu = await startEmulator({ port: 0 });
    second = await startEmulator({ port: 0 });
    client = emulatorClient(emu);
    secondClient = emulatorClient(second);
    project = await CliProject.create("plugin-yaml-more", "yaml", [yamlHost], { plugin: "installed" });
    await project.configureEmulator(emu);
    await project.configureEmulator(second, "plugin-yaml-more");
  });

  after(async () => {
    await project?.dispose();
    await emu?.stop();
    await second?.stop();
  });

  it("creates a group, derives a device key from its key, and puts an enrollment in the second DPS", async () => {
    project.writeProgram("plugin-yaml-more", "yaml", groupProgram("dev"));
    // The plugin answers the preview of the creates too: with no call to either DPS.
    const preview = await project.ok("preview");
    for (const name of ["fleet", "elsewhere", "device7", "watcher"]) {
      assert.match(
        preview.stdout,
        new RegExp(`\\+ .*:(IndividualEnrollment|EnrollmentGroup) ${name} create`),
        name,
      );
    }
    assert.match(
      preview.stdout,
      /deviceKey\s*:\s*\[unknown\]/,
      "a new group's key is not known before it exists",
    );
    assert.deepEqual([emu.stats().total, second.stats().total], [0, 0], "no call in the preview");
    await project.ok("up", "--yes", "--skip-preview");
    groupKey = (await client.getEnrollmentGroupAttestationMechanism("yaml-fleet")).responseBody.symmetricKey!
      .primaryKey!;
    const out = await outputs();
    assert.equal(out.deviceKey, expectedDeviceKey(), "the device key DPS expects for fleet-device-7");
    const device7 = (await client.getIndividualEnrollmentAttestationMechanism("fleet-device-7")).responseBody;
    assert.equal(device7.symmetricKey?.primaryKey, expectedDeviceKey(), "given to an enrollment");
    await secondClient.getIndividualEnrollment("yaml-elsewhere");
    await assert.rejects(client.getIndividualEnrollment("yaml-elsewhere"), notFound, "not in the first DPS");
    await assert.rejects(secondClient.getEnrollmentGroup("yaml-fleet"), notFound, "not in the second DPS");
    const state = await project.exportState();
    assert.ok(!state.text.includes(groupKey), "the group key is not in plaintext state");
    assert.ok(!state.text.includes(out.deviceKey), "the device key is not in plaintext state");
    assert.ok(
      !state.text.includes(second.connectionString.split("SharedAccessKey=")[1]),
      "the second DPS's policy key is not in plaintext state",
    );
  });

  it("a preview of a change to the group knows what the Set keeps, and writes nothing", async () => {
    project.writeProgram("plugin-yaml-more", "yaml", groupProgram("prod"));
    emu.resetStats();
    const preview = await project.ok("preview", "--json");
    const { put, delete: deleted, bulk } = emu.stats().operations;
    assert.deepEqual(
      { put, deleted, bulk },
      { put: 0, deleted: 0, bulk: 0 },
      "nothing written in the preview",
    );
    const steps = (JSON.parse(preview.stdout) as { steps: PreviewStep[] }).steps;
    const changed = steps.filter((s) => s.op !== "same").map((s) => `${s.op} ${s.urn.split("::").pop()}`);
    // The kept key is known, so is the key derived from it, and the creation date: device7 does not
    // change. The etag the write will get is not known yet: the watcher, which follows it, does.
    assert.deepEqual(changed.sort(), ["update fleet", "update watcher"], preview.stdout);
    const text = await project.ok("preview", "--diff");
    assert.match(text.stdout, /groupEtag\s*:\s*".*"\s*=>\s*\[unknown\]/, text.stdout);
  });

  it("the update then keeps the key, and with it the device key", async () => {
    const { etag } = (await client.getEnrollmentGroup("yaml-fleet")).responseBody;
    await project.ok("up", "--yes", "--skip-preview");
    const group = (await client.getEnrollmentGroup("yaml-fleet")).responseBody;
    assert.deepEqual(group.initialTwin?.tags, { env: "prod" });
    assert.equal((await outputs()).deviceKey, expectedDeviceKey());
    const watcher = (await client.getIndividualEnrollment("fleet-watcher")).responseBody;
    assert.deepEqual(watcher.initialTwin?.tags, { groupEtag: group.etag });
    assert.notEqual(group.etag, etag);
  });

  it("destroys the records in both DPSs", async () => {
    await project.ok("destroy", "--yes", "--skip-preview");
    await assert.rejects(client.getEnrollmentGroup("yaml-fleet"), notFound);
    for (const id of ["fleet-device-7", "fleet-watcher"]) {
      await assert.rejects(client.getIndividualEnrollment(id), notFound);
    }
    await assert.rejects(secondClient.getIndividualEnrollment("yaml-elsewhere"), notFound);
  });
});

/** What the tests read of a step of `pulumi preview --json`. */
interface PreviewStep {
  op: string;
  urn: string;
}
