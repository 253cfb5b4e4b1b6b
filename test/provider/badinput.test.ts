/**
 * Generated invalid inputs through the real dynamic-provider gRPC server against the emulator: every
 * one ends in a check failure naming a property, or in a clear service error from create, within a
 * time limit, with nothing written to the service and the plugin still answering afterwards.
 */
import { strict as assert } from "assert";
import type { ProvisioningServiceClient } from "azure-iot-provisioning-service";
import { startEmulator, type EmulatorHandle } from "../../emulator";
import { createServiceClient } from "../../provider/core/transport";
import { DynamicProviderServer, type Props } from "../support/dynamicProvider";

const WRONG_TYPES: unknown[] = [42, true, ["a"], { a: 1 }, null];
const NOT_STRINGS: unknown[] = [42, true, ["a"], { a: 1 }];
const NOT_OBJECTS: unknown[] = ["env=prod", 42, true, ["env", "prod"], "{not json"];

/** [title, change to a valid base] */
function generated(hubs: string[]): [string, (base: Props) => Props][] {
  const cases: [string, (base: Props) => Props][] = [];
  for (const field of ["registrationId", "deviceId", "webhookUrl", "apiVersion", "iotHubHostName"]) {
    for (const v of NOT_STRINGS)
      cases.push([`${field} = ${JSON.stringify(v)}`, (b) => ({ ...b, [field]: v })]);
  }
  for (const field of ["provisioningStatus", "reprovisionPolicy", "allocationPolicy"]) {
    for (const v of ["", "Enable", "random", "hashed ", 1, true]) {
      cases.push([`${field} = ${JSON.stringify(v)}`, (b) => ({ ...b, [field]: v })]);
    }
  }
  for (const v of ["yes", 1, "true"])
    cases.push([`edgeEnabled = ${JSON.stringify(v)}`, (b) => ({ ...b, edgeEnabled: v })]);
  for (const field of ["tags", "desired", "optionalDeviceInformation"]) {
    for (const v of NOT_OBJECTS)
      cases.push([`${field} = ${JSON.stringify(v)}`, (b) => ({ ...b, [field]: v })]);
  }
  for (const id of [
    "",
    " ",
    "bad id",
    "-lead",
    "trail-",
    "a".repeat(129),
    "ümlaut",
    "a/b",
    "a%2Fb",
    "..",
    "a\u0000b",
  ]) {
    cases.push([`registrationId ${JSON.stringify(id).slice(0, 40)}`, (b) => ({ ...b, registrationId: id })]);
  }
  for (const v of WRONG_TYPES)
    cases.push([`attestation = ${JSON.stringify(v)}`, (b) => ({ ...b, attestation: v })]);
  for (const v of WRONG_TYPES)
    cases.push([`connection = ${JSON.stringify(v)}`, (b) => ({ ...b, connection: v })]);
  for (const v of [42, "hub1.azure-devices.net", [42], [""]]) {
    cases.push([`iotHubs = ${JSON.stringify(v)}`, (b) => ({ ...b, allocationPolicy: "Hashed", iotHubs: v })]);
  }
  cases.push(
    ["Static with two hubs", (b) => ({ ...b, allocationPolicy: "Static", iotHubs: hubs })],
    ["iotHubHostName with a policy", (b) => ({ ...b, allocationPolicy: "Hashed", iotHubHostName: hubs[0] })],
    ["iotHubHostName with iotHubs", (b) => ({ ...b, iotHubs: hubs, iotHubHostName: hubs[0] })],
    ["iotHubs without a policy", (b) => ({ ...b, iotHubs: hubs })],
    ["Custom without a webhook", (b) => ({ ...b, allocationPolicy: "Custom" })],
    [
      "Custom without an api version",
      (b) => ({ ...b, allocationPolicy: "Custom", webhookUrl: "https://f.example/api" }),
    ],
    [
      "a hub not linked to the DPS",
      (b) => ({ ...b, allocationPolicy: "Hashed", iotHubs: ["other.azure-devices.net"] }),
    ],
    ["huge tags (2 MB)", (b) => ({ ...b, tags: { blob: "x".repeat(2 * 1024 * 1024) } })],
    [
      "huge desired properties (deeply nested)",
      (b) => {
        let deep: Props = { leaf: 1 };
        for (let i = 0; i < 200; i++) deep = { n: deep };
        return { ...b, desired: deep };
      },
    ],
    ["tpm without an endorsement key", (b) => ({ ...b, attestation: { type: "tpm" } })],
    ["x509 without a certificate", (b) => ({ ...b, attestation: { type: "x509" } })],
    [
      "symmetric key not base64",
      (b) => ({ ...b, attestation: { type: "symmetricKey", primaryKey: "!!", secondaryKey: "!!" } }),
    ],
    ["attestation type as a number", (b) => ({ ...b, attestation: { type: 7 } })],
  );
  return cases;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} hung for ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

describe("bad input (gRPC server + emulator): a clear failure, never a crash, a hang or a partial write", function () {
  this.timeout(120_000);
  let emu: EmulatorHandle;
  let server: DynamicProviderServer;
  let client: ProvisioningServiceClient;
  let base: Props;
  let n = 0;

  before(async () => {
    emu = await startEmulator();
    const connection = {
      connectionString: emu.connectionString,
      endpoint: emu.endpoint,
      caCertificate: emu.caCertificate,
    };
    client = createServiceClient(connection);
    server = await DynamicProviderServer.start();
    base = { connection, attestation: { type: "symmetricKey" } };
  });
  after(async () => {
    await server?.stop();
    await emu?.stop();
  });

  async function exists(id: unknown): Promise<boolean> {
    if (typeof id !== "string" || !/^[A-Za-z0-9][A-Za-z0-9:._-]{0,126}[A-Za-z0-9]?$/.test(id)) return false;
    try {
      await client.getIndividualEnrollment(id);
      return true;
    } catch {
      return false;
    }
  }

  // The emulator's default linked hubs.
  const hubs = ["hub1.azure-devices.net", "hub2.azure-devices.net"];
  for (const [title, make] of generated(hubs)) {
    it(`rejects ${title}`, async () => {
      const id = `bad-${++n}`;
      const news = make({ ...base, registrationId: id });
      emu.resetStats();
      const checked = await withTimeout(server.check({}, news), 20_000, "check");
      if (checked.failures.length > 0) {
        for (const f of checked.failures) {
          assert.ok(f.property.length > 0 && f.reason.length > 10, `unclear failure ${JSON.stringify(f)}`);
        }
        assert.equal(emu.stats().total, 0, "check called the service");
      } else {
        // Check let it through: the service must refuse it, clearly, and keep nothing.
        await assert.rejects(withTimeout(server.create(checked.inputs), 60_000, "create"), (err: Error) => {
          assert.doesNotMatch(err.message, /hung for/);
          assert.match(err.message, /\d{3}|invalid|too large|not|must/i, err.message);
          return true;
        });
        assert.equal(
          await exists(checked.inputs.registrationId),
          false,
          "a refused create left an enrollment",
        );
      }
      assert.equal(await exists(news.registrationId), false, "an enrollment was written");
    });
  }

  it("still serves a valid enrollment afterwards", async () => {
    const checked = await server.check({}, { ...base, registrationId: "good-after-bad" });
    assert.deepEqual(checked.failures, []);
    const created = await server.create(checked.inputs);
    assert.equal(created.id, "good-after-bad");
    await server.delete(created.id, created.outs);
  });
});
