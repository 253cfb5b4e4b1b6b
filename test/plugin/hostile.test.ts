// Issue 28's probes, through the plugin's gRPC interface as the engine speaks it: secrets never in a
// message, the engine's id as the identity, bounded waits on a silent DPS, Create checked without
// Check, the DPS's answers checked, connection strings read as the official client reads them.
import { strict as assert } from "assert";
import { startEmulator, type EmulatorHandle } from "../../emulator";
import { DERIVE_DEVICE_KEY_TOKEN, GROUP_TOKEN } from "../../provider/plugin/kinds";
import { DynamicProviderServer } from "../support/dynamicProvider";
import { startFakeDps, startSilentServer, type FakeService } from "../support/fakeDps";
import { PluginProcess, secret, urnOf, type Failure, type Props } from "../support/pluginServer";
import { emulatorClient, emulatorConnection, readEnrollment } from "../support/service";

const MARK = "SECRETMARK9f3c";
const URN = urnOf("e");

/** The plugin's whole output and every message it answered, as one text to search for secrets. */
function everything(plugin: PluginProcess, ...messages: unknown[]): string {
  return [plugin.text(), ...messages.map((m) => JSON.stringify(m))].join("\n");
}

async function rejection(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return (error as { details?: string }).details ?? String(error);
  }
  assert.fail("expected the call to fail");
}

describe("plugin: hostile input and faulty services (issue 28)", function () {
  this.timeout(120_000);
  let emu: EmulatorHandle;
  let plugin: PluginProcess;

  before(async () => {
    emu = await startEmulator({ hostName: "hostile.azure-devices-provisioning.net" });
    plugin = await PluginProcess.start();
    await plugin.configure(emulatorConnection(emu));
  });
  after(async () => {
    await plugin?.stop();
    await emu?.stop();
  });

  describe("1. no secret in any message", () => {
    // Each rule, driven with a secret input that breaks it: the failure names the property, never the value.
    const cases: [string, Props][] = [
      [
        "webhookUrl",
        {
          allocationPolicy: "Custom",
          apiVersion: "2021-10-01",
          webhookUrl: secret(`http://fn.example.net/api/alloc?code=${MARK}`),
        },
      ],
      ["registrationId", { registrationId: secret(`bad id ${MARK}`) }],
      ["provisioningStatus", { provisioningStatus: secret(MARK) }],
      ["reprovisionPolicy", { reprovisionPolicy: secret(MARK) }],
      ["allocationPolicy", { allocationPolicy: secret(MARK) }],
      ["iotHubHostName", { iotHubHostName: secret(`${MARK} hub`) }],
      ["iotHubs", { allocationPolicy: "Hashed", iotHubs: secret([`${MARK}/hub`]) }],
      ["attestation.type", { attestation: secret({ type: MARK }) }],
      [
        "attestation.primaryKey",
        { attestation: secret({ type: "symmetricKey", primaryKey: MARK, secondaryKey: MARK }) },
      ],
      ["tags", { tags: secret({ [MARK]: "x".repeat(9000) }) }],
      [
        "namespaceName",
        { namespaceName: secret(MARK), certificateAuthorityName: "ca1", certificatePolicyName: "p1" },
      ],
      ["edgeEnabled", { edgeEnabled: secret(MARK) }],
      ["apiVersion", { apiVersion: secret(1) }],
    ];
    for (const [property, bad] of cases) {
      it(`a bad secret ${property} fails Check naming it, without its value`, async () => {
        const news = { registrationId: "hostile-1", attestation: { type: "symmetricKey" }, ...bad };
        const { failures } = await plugin.check(URN, news);
        assert.ok(
          failures.some((f) => f.property === property || f.property.startsWith(`${property}.`)),
          `a failure names ${property}: ${JSON.stringify(failures)}`,
        );
        assert.ok(
          !everything(plugin, failures).includes(MARK),
          `the secret in a message: ${JSON.stringify(failures)}`,
        );
        // A Create without Check (a buggy caller) refuses the same, without the value either.
        const message = await rejection(plugin.create(URN, news));
        assert.match(message, /not valid/);
        assert.ok(!message.includes(MARK), `the secret in the Create error: ${message}`);
      });
    }

    it("CheckConfig names a bad hostName, endpoint or connection string without repeating it", async () => {
      const configs: [string, Props][] = [
        ["hostName", { hostName: secret(`${MARK}\r\nX-Injected: 1`), credential: "default" }],
        ["endpoint", { connectionString: emu.connectionString, endpoint: secret(`http://${MARK}.example`) }],
        // The connection string is secret even when not set with --secret.
        [
          "connectionString",
          { connectionString: `HostName=h.example.net;SharedAccessKeyName=o;SharedAccessKey=${MARK}!!` },
        ],
        [
          "connectionString",
          { connectionString: `HostName=${MARK} x;SharedAccessKeyName=o;SharedAccessKey=${"A".repeat(44)}` },
        ],
      ];
      for (const [property, config] of configs) {
        const failures = await plugin.checkConfig(config);
        assert.ok(
          failures.some((f) => f.property === property),
          `${property}: ${JSON.stringify(failures)}`,
        );
        assert.ok(!everything(plugin, failures).includes(MARK), `the secret in ${JSON.stringify(failures)}`);
      }
    });
  });

  describe("2. the engine's id is the identity", () => {
    const state = async (id: string): Promise<Props> =>
      (await plugin.create(URN, { registrationId: id, attestation: { type: "symmetricKey" } })).outs;

    it("Delete, Read and Update of one id with state naming another fail, and the other record stays", async () => {
      const a = await state("stack-a-1");
      await state("stack-b-1");
      const forged = { ...a, registrationId: "stack-b-1" };
      for (const message of [
        await rejection(plugin.delete(URN, "stack-a-1", forged)),
        await rejection(plugin.read(URN, "stack-a-1", forged)),
        await rejection(
          plugin.update(URN, "stack-a-1", forged, {
            registrationId: "stack-b-1",
            attestation: { type: "symmetricKey" },
            tags: { x: "1" },
          }),
        ),
      ]) {
        assert.match(message, /names registrationId "stack-b-1", which is not its id/);
      }
      const client = emulatorClient(emu);
      assert.ok(await readEnrollment(client, "stack-b-1"), "stack-b-1 was not deleted");
      assert.ok(await readEnrollment(client, "stack-a-1"), "stack-a-1 was not deleted either");
      // The engine's id is what a delete deletes, whatever else the state holds.
      const { registrationId: _dropped, ...withoutId } = a;
      await plugin.delete(URN, "stack-a-1", withoutId);
      assert.equal(await readEnrollment(client, "stack-a-1"), undefined);
    });

    it("Create refuses an answer for another record, and takes no id from it", async () => {
      const fake = await startFakeDps((_req, body, res) => {
        const record = JSON.parse(body) as Props;
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ ...record, registrationId: "someone-else", etag: '"1"' }));
      });
      const other = await PluginProcess.start();
      try {
        await other.configure({ ...fake.connection });
        const message = await rejection(
          other.create(URN, { registrationId: "mine-1", attestation: { type: "symmetricKey" } }),
        );
        assert.match(
          message,
          /answered a request for enrollment "mine-1" with a record that is not "mine-1"/,
        );
      } finally {
        await other.stop();
        await fake.close();
      }
    });
  });

  describe("3. bounded waits: a DPS that accepts and never answers", () => {
    let silent: FakeService & { accepted: () => number };
    before(async () => (silent = await startSilentServer()));
    after(async () => await silent?.close());

    async function withPlugin<T>(
      config: Props,
      env: NodeJS.ProcessEnv,
      fn: (p: PluginProcess) => Promise<T>,
    ) {
      const p = await PluginProcess.start({ ...process.env, ...env });
      try {
        await p.configure({ ...silent.connection, ...config });
        return await fn(p);
      } finally {
        await p.stop();
      }
    }
    const inputs = { registrationId: "silent-1", attestation: { type: "symmetricKey" } };

    it("the connection's requestTimeout fails the Create with a message saying the DPS did not answer in time", async () => {
      const started = Date.now();
      const message = await withPlugin({ requestTimeout: "1" }, {}, (p) => rejection(p.create(URN, inputs)));
      assert.match(message, /DPS .*failed: the DPS did not answer in time \(no answer within 1 s/);
      assert.ok(Date.now() - started < 15_000, `took ${Date.now() - started} ms`);
      assert.ok(silent.accepted() > 0, "the request reached the silent server");
    });

    it("DPS_ENROLLMENTS_REQUEST_TIMEOUT sets it when the configuration does not (Delete)", async () => {
      const message = await withPlugin({}, { DPS_ENROLLMENTS_REQUEST_TIMEOUT: "1" }, (p) =>
        rejection(
          p.delete(URN, "silent-1", {
            registrationId: "silent-1",
            attestation: { type: "tpm", endorsementKey: "AAAA" },
          }),
        ),
      );
      assert.match(message, /did not answer in time \(no answer within 1 s/);
    });

    it("the engine's timeout of the operation is honoured (Create timeout: 1)", async () => {
      const started = Date.now();
      const message = await withPlugin({}, {}, (p) => rejection(p.create(URN, inputs, 1)));
      assert.match(message, /the operation's timeout of 1 s \(customTimeouts\) ran out/);
      assert.ok(Date.now() - started < 15_000, `took ${Date.now() - started} ms`);
    });

    it("the dynamic face: dps-enrollments:requestTimeout in stack config bounds its requests too", async () => {
      const config: Record<string, string> = { "dps-enrollments:requestTimeout": "1" };
      for (const [key, value] of Object.entries(silent.connection)) config[`dps-enrollments:${key}`] = value;
      const server = await DynamicProviderServer.start(process.env, undefined, config);
      try {
        const message = await rejection(server.create(inputs));
        assert.match(message, /did not answer in time \(no answer within 1 s/);
      } finally {
        await server.stop();
      }
    });

    it("Cancel aborts the requests in flight", async () => {
      const message = await withPlugin({}, {}, async (p) => {
        const pending = rejection(p.create(URN, inputs));
        await new Promise((r) => setTimeout(r, 500));
        await p.cancel();
        return pending;
      });
      assert.match(message, /the operation was cancelled/);
    });
  });

  describe("7. Create and Update without Check", () => {
    it("an attestation of no valid type writes nothing (no default symmetric key)", async () => {
      for (const attestation of ["tpm", { type: "x509-typo" }, { type: "tpm" }]) {
        const message = await rejection(plugin.create(URN, { registrationId: "nocheck-1", attestation }));
        assert.match(message, /inputs are not valid .*attestation/);
      }
      assert.equal(await readEnrollment(emulatorClient(emu), "nocheck-1"), undefined, "nothing written");
    });
  });

  describe("8. answers of the wrong shape", () => {
    for (const [name, type, body] of [
      ["a list", "application/json", "[]"],
      ["null", "application/json", "null"],
      ["an HTML page", "text/html", "<html><body>Sign in</body></html>"],
    ] as const) {
      it(`a 200 with ${name} fails saying the DPS answered wrongly`, async () => {
        const fake = await startFakeDps((_req, _body, res) => {
          res.writeHead(200, { "content-type": type });
          res.end(body);
        });
        const p = await PluginProcess.start();
        try {
          await p.configure({ ...fake.connection });
          const message = await rejection(
            p.create(URN, { registrationId: "shape-1", attestation: { type: "symmetricKey" } }),
          );
          assert.match(message, /the DPS answered with .* where the API defines an enrollment record/);
          assert.ok(!/Cannot read properties/.test(message), message);
          const read = await rejection(
            p.read(URN, "shape-1", { registrationId: "shape-1", etag: '"1"', attestation: { type: "tpm" } }),
          );
          assert.match(read, /answered wrongly/);
        } finally {
          await p.stop();
          await fake.close();
        }
      });
    }
  });

  describe("9. CheckConfig reads connection strings as the official client does", () => {
    const key = Buffer.alloc(32, 3).toString("base64");
    const cases: [string, string, RegExp][] = [
      [
        "a HostName that is not a host name",
        `HostName=https://h.example.net/;SharedAccessKeyName=o;SharedAccessKey=${key}`,
        /HostName that is not a host name/,
      ],
      [
        "a HostName with CR/LF",
        `HostName=h.example.net\r\nX: 1;SharedAccessKeyName=o;SharedAccessKey=${key}`,
        /HostName that is not a host name/,
      ],
      [
        "a key that is not base64",
        `HostName=h.example.net;SharedAccessKeyName=o;SharedAccessKey=not base64!`,
        /SharedAccessKey that is not base64/,
      ],
      [
        "a 1 MB key name",
        `HostName=h.example.net;SharedAccessKeyName=${"n".repeat(1 << 20)};SharedAccessKey=${key}`,
        /more than 1024/,
      ],
      [
        "lower-case names",
        `hostname=h.example.net;sharedaccesskeyname=o;sharedaccesskey=${key}`,
        /lacks HostName, SharedAccessKeyName, SharedAccessKey \(names are read case-sensitively/,
      ],
    ];
    for (const [name, connectionString, reason] of cases) {
      it(`refuses ${name}`, async () => {
        const failures: Failure[] = await plugin.checkConfig({ connectionString });
        assert.equal(failures.length, 1, JSON.stringify(failures).slice(0, 500));
        assert.equal(failures[0].property, "connectionString");
        assert.match(failures[0].reason, reason);
      });
    }
    it("accepts the emulator's", async () => {
      assert.deepEqual(await plugin.checkConfig(emulatorConnection(emu)), []);
    });
  });

  describe("10. invalid ids never reach the DPS", () => {
    it("Read, Update and Delete of a traversal id fail before any request", async () => {
      const fake = await startFakeDps((_req, _body, res) => {
        res.writeHead(404, { "content-type": "application/json" });
        res.end("{}");
      });
      const p = await PluginProcess.start();
      try {
        await p.configure({ ...fake.connection });
        const id = "../enrollmentGroups/victim";
        const props = { attestation: { type: "tpm", endorsementKey: "AAAA" }, etag: '"1"' };
        for (const message of [
          await rejection(p.read(URN, id, props)),
          await rejection(p.delete(URN, id, props)),
          await rejection(p.delete(urnOf("g", GROUP_TOKEN), id, props)),
          await rejection(p.update(URN, id, props, { attestation: { type: "tpm", endorsementKey: "AAAA" } })),
        ]) {
          assert.match(
            message,
            /is not a valid (registrationId|enrollmentGroupId).*Nothing was sent to the DPS/,
          );
        }
        assert.deepEqual(fake.requests, []);
      } finally {
        await p.stop();
        await fake.close();
      }
    });

    it("deriveDeviceKey with an empty registrationId blames registrationId", async () => {
      const { failures } = await plugin.invoke(DERIVE_DEVICE_KEY_TOKEN, {
        groupKey: Buffer.alloc(32, 1).toString("base64"),
        registrationId: "",
      });
      assert.deepEqual(
        failures.map((f) => f.property),
        ["registrationId"],
      );
    });
  });
});
