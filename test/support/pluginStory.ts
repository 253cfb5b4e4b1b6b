/**
 * One story of the plugin through the real engine, told the same way from every language that has
 * a program here (Go, TypeScript through the generated SDKs): create, a Set keeping unmanaged fields
 * and keys with `preview --diff` showing the write, drift after refresh, import by id, bad input
 * failing at preview with nothing written, destroy. Each language gives a {@link StoryDriver}; the
 * emulator, the out-of-band writes with the official service client and the assertions live here.
 */
import { strict as assert } from "assert";
import type { ProvisioningServiceClient } from "azure-iot-provisioning-service";
import { startEmulator, type EmulatorHandle } from "../../emulator";
import { emulatorClient } from "./service";

/** The individual enrollment's type token. */
export const INDIVIDUAL = "dps-enrollments:index:IndividualEnrollment";

/** The program's values: one enrollment, and a second once the story imported it. */
export interface StoryProgram {
  /** The enrollment's registration id. */
  registrationId: string;
  /** Its tags. */
  tags: Record<string, string>;
  /** Its provisioning status, when given. */
  provisioningStatus?: string;
  /** The registration id of a second enrollment (resource name `imported`), taken over by import. */
  importedId?: string;
  /** Give `imported` the `import` resource option (its id): the engine reads the record by id alone. */
  importing?: boolean;
}

/** A resource of the stack's state. */
export interface StateResource {
  /** Its type token. */
  type: string;
  /** Its id. */
  id?: string;
  /** Its inputs. */
  inputs?: Record<string, unknown>;
  /** Its outputs. */
  outputs?: Record<string, unknown>;
}

/** What an operation printed and how it ended. */
export interface StoryResult {
  /** 0 when it succeeded. */
  code: number;
  /** Its standard output and error. */
  text: string;
}

/** A stack of one language's program on the plugin, its operations run through the real CLI. */
export interface StoryDriver {
  /** Uses these values from the next operation on. */
  setProgram(program: StoryProgram): void;
  /** `pulumi up`. */
  up(): Promise<StoryResult>;
  /** `pulumi preview --diff`. */
  previewDiff(): Promise<StoryResult>;
  /** `pulumi refresh`. */
  refresh(): Promise<StoryResult>;
  /** `pulumi stack export` (secrets encrypted), as text and parsed. */
  exportState(): Promise<{ text: string; resources: StateResource[] }>;
  /** `pulumi destroy`. */
  destroy(): Promise<StoryResult>;
  /** Removes the stack's files (after a destroy, or to clean up a failure). */
  dispose(): Promise<void>;
}

/** The provider configuration a driver sets: the emulator's connection. */
export interface StoryConnection {
  /** `dps-enrollments:connectionString` (secret). */
  connectionString: string;
  /** `dps-enrollments:endpoint`. */
  endpoint: string;
  /** `dps-enrollments:caCertificate`. */
  caCertificate: string;
}

/** The result, or an error carrying its text when it failed. */
function ok(result: StoryResult, what: string): StoryResult {
  if (result.code !== 0) throw new Error(`${what} failed (${result.code}):\n${result.text}`);
  return result;
}

/** What the story reads of a record. */
interface HeldRecord {
  etag: string;
  initialTwin?: { tags?: Record<string, unknown> };
  optionalDeviceInformation?: Record<string, unknown>;
}

/**
 * Registers the story's tests (run in order, one stack) in the current `describe`.
 * @param prefix - registration ids start with it (one emulator per story, ids still told apart in logs)
 * @param open - makes the language's driver for the emulator's connection
 */
export function pluginStory(
  prefix: string,
  open: (connection: StoryConnection) => Promise<StoryDriver>,
): void {
  const device = `${prefix}-device-1`;
  const importedId = `${prefix}-imported`;
  let emu: EmulatorHandle;
  let client: ProvisioningServiceClient;
  let driver: StoryDriver;
  let keys: { primaryKey?: string; secondaryKey?: string };

  const record = async (id: string) =>
    (await client.getIndividualEnrollment(id)).responseBody as unknown as HeldRecord;
  const symmetricKeys = async (id: string) =>
    (
      (await client.getIndividualEnrollmentAttestationMechanism(id)).responseBody as {
        symmetricKey: { primaryKey?: string; secondaryKey?: string };
      }
    ).symmetricKey;
  /** Someone else's write: GET hides the keys, so a careful writer sends them back. */
  const writeOutOfBand = async (change: Record<string, unknown>) => {
    const body = (await client.getIndividualEnrollment(device)).responseBody as unknown as Record<
      string,
      unknown
    >;
    await client.createOrUpdateIndividualEnrollment({
      ...body,
      attestation: { type: "symmetricKey", symmetricKey: keys },
      ...change,
    } as never);
  };
  const program = (tags: string, extra: Partial<StoryProgram> = {}): StoryProgram => ({
    registrationId: device,
    tags: { env: tags },
    ...extra,
  });

  before(async () => {
    emu = await startEmulator({ port: 0 });
    client = emulatorClient(emu);
    driver = await open(emu);
  });

  after(async () => {
    if (driver) {
      await driver.destroy().catch(() => undefined);
      await driver.dispose();
    }
    await emu?.stop();
  });

  it("creates the enrollment, with no connection in state and the keys secret", async () => {
    driver.setProgram(program("dev"));
    ok(await driver.up(), "up");
    assert.deepEqual((await record(device)).initialTwin?.tags, { env: "dev" });
    keys = await symmetricKeys(device);
    assert.ok(keys.primaryKey && keys.secondaryKey, "the service generated both keys");
    const state = await driver.exportState();
    const held = state.resources.find((r) => r.type === INDIVIDUAL);
    assert.ok(held, "the enrollment is in the stack");
    assert.equal(held.id, device);
    assert.equal(held.outputs?.connection, undefined, "no connection in the resource's state");
    assert.ok(!state.text.includes(keys.primaryKey!), "the primary key is not in plaintext state");
    assert.ok(
      !state.text.includes(emu.connectionString.split("SharedAccessKey=")[1]),
      "no policy key in state",
    );
  });

  it("shows the Set's write in `preview --diff`, then writes it keeping keys and unmanaged fields", async () => {
    await writeOutOfBand({ optionalDeviceInformation: { owner: "ops" } });
    driver.setProgram(program("prod"));
    const preview = ok(await driver.previewDiff(), "preview --diff");
    assert.match(preview.text, /~ tags\s*:/, preview.text);
    assert.match(preview.text, /"?env"?\s*:\s*"dev"\s*=>\s*"prod"/, preview.text);
    assert.doesNotMatch(preview.text, /optionalDeviceInformation/, "only the Set's write is shown");
    ok(await driver.up(), "up");
    const held = await record(device);
    assert.deepEqual(held.initialTwin?.tags, { env: "prod" });
    assert.deepEqual(held.optionalDeviceInformation, { owner: "ops" }, "the unmanaged field is kept");
    assert.deepEqual(await symmetricKeys(device), keys, "the keys are kept");
  });

  it("names drift after `pulumi refresh` with the DPS's value", async () => {
    await writeOutOfBand({ initialTwin: { tags: { env: "hacked" }, properties: { desired: {} } } });
    ok(await driver.refresh(), "refresh");
    const preview = ok(await driver.previewDiff(), "preview --diff");
    assert.match(preview.text, /"?env"?\s*:\s*"hacked"\s*=>\s*"prod"/, preview.text);
    ok(await driver.up(), "up");
    assert.deepEqual((await record(device)).initialTwin?.tags, { env: "prod" });
  });

  // `pulumi import` on the command line needs the project's language host, which inline Go and
  // Node programs have not (the YAML test runs it); their way is the `import` resource option,
  // which reaches the plugin the same way: a Read by id alone.
  it("imports a record by its id alone (the `import` option), with no write", async () => {
    await client.createOrUpdateIndividualEnrollment({
      registrationId: importedId,
      attestation: { type: "symmetricKey" },
      initialTwin: { tags: { owner: "someone" }, properties: { desired: {} } },
    } as never);
    const etag = (await record(importedId)).etag;
    driver.setProgram(program("prod", { importedId, importing: true }));
    const preview = ok(await driver.previewDiff(), "preview --diff");
    assert.match(preview.text, /= dps-enrollments:index:IndividualEnrollment: \(import\)/, preview.text);
    assert.match(preview.text, new RegExp(`\\[id=${importedId}\\]`), preview.text);
    assert.match(preview.text, /1 to import/, preview.text);
    ok(await driver.up(), "up");
    assert.equal((await record(importedId)).etag, etag, "the import wrote nothing");
    const imported = (await driver.exportState()).resources.find((r) => r.id === importedId);
    assert.ok(imported, "the record is in the stack");
    assert.equal(imported.inputs?.registrationId, importedId);
    assert.deepEqual(imported.inputs?.attestation, { type: "symmetricKey" });
    assert.deepEqual(imported.outputs?.tags, { owner: "someone" });
    // The program keeps it without the option: nothing to change, and no write.
    driver.setProgram(program("prod", { importedId }));
    const after = ok(await driver.previewDiff(), "preview --diff");
    assert.doesNotMatch(after.text, /\bto (create|update|replace|delete|import)\b/, after.text);
    ok(await driver.up(), "up");
    assert.equal((await record(importedId)).etag, etag, "keeping it wrote nothing");
  });

  it("fails bad input at preview, naming the property, with nothing written", async () => {
    const etag = (await record(device)).etag;
    driver.setProgram(program("prod", { importedId, provisioningStatus: "Sometimes" }));
    const preview = await driver.previewDiff();
    assert.notEqual(preview.code, 0, "the preview fails");
    assert.match(preview.text, /provisioningStatus "Sometimes" is not valid; use one of Enabled, Disabled/);
    const up = await driver.up();
    assert.notEqual(up.code, 0, "so does the update");
    assert.equal((await record(device)).etag, etag, "nothing was written");
  });

  it("destroys both records", async () => {
    driver.setProgram(program("prod", { importedId }));
    ok(await driver.destroy(), "destroy");
    for (const id of [device, importedId]) {
      await assert.rejects(
        client.getIndividualEnrollment(id),
        (e: { response?: { statusCode?: number } }) => e.response?.statusCode === 404,
      );
    }
  });
}
