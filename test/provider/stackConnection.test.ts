/**
 * The connection given once in stack config: which connection an enrollment uses and how it diffs
 * (pure), then through the real dynamic-provider plugin configured as the engine does.
 */
import { strict as assert } from "assert";
import { diffEnrollment, onlyConnectionChanged } from "../../provider/core/diff";
import {
  configureStackConnection,
  isStackReference,
  resolveConnection,
  stackConnection,
  stackReference,
} from "../../provider/dynamic/stackConnection";
import type { EnrollmentInputs, EnrollmentOutputs } from "../../provider/core/types";
import { INDIVIDUAL_ENROLLMENT } from "../../provider/individual/kind";
import { startEmulator, type EmulatorHandle } from "../../emulator";
import { parseConnectionString } from "../../provider/core/connectionString";
import { DynamicProviderServer, INDIVIDUAL } from "../support/dynamicProvider";
import { emulatorClient, emulatorStackConfig } from "../support/service";

const HOST = "fleet.azure-devices-provisioning.net";
const STACK = {
  connectionString: `HostName=${HOST};SharedAccessKeyName=p;SharedAccessKey=a2V5`,
  endpoint: "https://127.0.0.1:8443",
};
const OWN = {
  connectionString: "HostName=own.azure-devices-provisioning.net;SharedAccessKeyName=p;SharedAccessKey=b3du",
};

function configure(values: Record<string, string>): void {
  configureStackConnection((key) => values[key]);
}

const stored = (connection: EnrollmentOutputs["connection"]): EnrollmentOutputs => ({
  connection,
  registrationId: "e1",
  attestation: { type: "symmetricKey", primaryKey: "P", secondaryKey: "S" },
});
const given = (connection: EnrollmentInputs["connection"]): EnrollmentInputs => ({
  connection,
  registrationId: "e1",
  attestation: { type: "symmetricKey" },
});

describe("stack-config connection", () => {
  afterEach(() => configure({}));

  it("is absent without dps-enrollments:connectionString or :hostName, and says how to set it", () => {
    configure({ "dps-enrollments:endpoint": STACK.endpoint, "other:connectionString": "x" });
    assert.equal(stackConnection(), undefined);
    assert.throws(
      () => resolveConnection(undefined),
      /no `connection` and the stack config has no dps-enrollments:connectionString.*pulumi config set --secret/,
    );
    assert.throws(() => resolveConnection({ hostName: HOST }), /\(state: fleet\.azure-devices/);
    // The plugin's config object throws when the engine sent no config: no stack connection, no crash.
    configureStackConnection(() => {
      throw new TypeError("Cannot read properties of undefined");
    });
    assert.equal(stackConnection(), undefined);
  });

  it("resolves a reference of the same DPS (any case) to the config's connection", () => {
    configure({
      "dps-enrollments:connectionString": STACK.connectionString,
      "dps-enrollments:endpoint": STACK.endpoint,
      "dps-enrollments:caCertificate": "",
    });
    assert.deepEqual(stackConnection(), STACK);
    assert.deepEqual(stackReference(), { hostName: HOST });
    assert.deepEqual(resolveConnection({ hostName: HOST.toUpperCase() }), STACK);
    assert.deepEqual(resolveConnection(undefined), STACK);
  });

  it("never looks for an enrollment of one DPS in the config's other DPS", () => {
    configure({ "dps-enrollments:connectionString": STACK.connectionString });
    assert.throws(
      () => resolveConnection({ hostName: "old.azure-devices-provisioning.net" }),
      /lives in old\.azure-devices-provisioning\.net .* names fleet\.azure-devices-provisioning\.net/,
    );
  });

  it("leaves a resource's own connection (every state written before) as it is", () => {
    configure({ "dps-enrollments:connectionString": STACK.connectionString });
    assert.equal(resolveConnection(OWN), OWN);
    const entra = { hostName: HOST, credential: "default" as const };
    assert.equal(isStackReference(entra), false);
    assert.equal(resolveConnection(entra), entra);
  });

  it("diffs: the same reference is no change; a move to or from the config on one DPS is no write", () => {
    configure({ "dps-enrollments:connectionString": STACK.connectionString });
    const ref = stackReference();
    assert.equal(diffEnrollment(stored(ref), given(ref), INDIVIDUAL_ENROLLMENT).changes, false);
    const moved = diffEnrollment(stored(STACK), given(ref), INDIVIDUAL_ENROLLMENT);
    assert.deepEqual(moved.changed, ["connection"]);
    assert.ok(onlyConnectionChanged(moved));
    assert.ok(onlyConnectionChanged(diffEnrollment(stored(ref), given(STACK), INDIVIDUAL_ENROLLMENT)));
    assert.deepEqual(diffEnrollment(stored(OWN), given(ref), INDIVIDUAL_ENROLLMENT).replaces, ["connection"]);
  });
});

describe("stack-config connection through the dynamic-provider plugin (gRPC server + emulator)", function () {
  this.timeout(60_000);
  let emu: EmulatorHandle;

  before(async () => (emu = await startEmulator()));
  after(async () => emu?.stop());

  /** The plugin, configured with the emulator's connection as stack config (`over` replacing keys). */
  async function plugin(over: Record<string, string> = {}): Promise<DynamicProviderServer> {
    const config: Record<string, string> = {};
    for (const [key, value] of Object.entries(emulatorStackConfig(emu))) {
      config[key] = typeof value === "string" ? value : value.value;
    }
    return DynamicProviderServer.start(process.env, INDIVIDUAL, { ...config, ...over });
  }

  it("creates, reads and deletes an enrollment without connection, storing only the host name", async () => {
    const server = await plugin();
    try {
      const { id, outs, inputs } = await server.checkAndCreate({
        registrationId: "stack-conn-1",
        attestation: { type: "symmetricKey" },
      });
      const hostName = parseConnectionString(emu.connectionString).hostName;
      assert.deepEqual([inputs.connection, outs.connection], [undefined, { hostName }]);
      assert.equal((await server.diff(id, outs, inputs)).changes, 1, "DIFF_NONE");
      assert.equal((await server.read(id, outs)).id, "stack-conn-1");
      await server.delete(id, outs);
      await assert.rejects(emulatorClient(emu).getIndividualEnrollment("stack-conn-1"));
    } finally {
      await server.stop();
    }
  });

  it("checks the stack config's connection like a resource's, saying where it comes from", async () => {
    const server = await plugin({ "dps-enrollments:connectionString": "HostName=x" });
    try {
      const { failures } = await server.check(
        {},
        { registrationId: "e", attestation: { type: "symmetricKey" } },
      );
      assert.equal(failures.length, 1);
      assert.equal(failures[0].property, "connection.connectionString");
      assert.match(failures[0].reason, /^In stack config dps-enrollments:\*: .*lacks SharedAccessKeyName/);
    } finally {
      await server.stop();
    }
  });
});
