/** The connection given once in stack config: which connection an enrollment uses, and how it diffs. Pure. */
import { strict as assert } from "assert";
import { diffEnrollment, onlyConnectionChanged } from "../../provider/core/diff";
import {
  configureStackConnection,
  isStackReference,
  resolveConnection,
  stackConnection,
  stackReference,
} from "../../provider/core/stackConnection";
import type { EnrollmentInputs, EnrollmentOutputs } from "../../provider/core/types";

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
    assert.equal(diffEnrollment(stored(ref), given(ref)).changes, false);
    const moved = diffEnrollment(stored(STACK), given(ref));
    assert.deepEqual(moved.changed, ["connection"]);
    assert.ok(onlyConnectionChanged(moved));
    assert.ok(onlyConnectionChanged(diffEnrollment(stored(ref), given(STACK))));
    assert.deepEqual(diffEnrollment(stored(OWN), given(ref)).replaces, ["connection"]);
  });
});
