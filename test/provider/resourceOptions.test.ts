/**
 * What an enrollment resource tells the engine besides its inputs: which outputs are secret, and the
 * call site it records (pure, and the SDK hook put back whatever happens).
 */
import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import { EnrollmentGroup, IndividualEnrollment } from "../../provider";
import { recordCallSiteOnly } from "../../provider/dynamic/callSite";
import { attestationMayHoldKeys, engineOptions } from "../../provider/dynamic/resource";

const sdk = pulumi.Resource as unknown as { stackTrace: (skip: number) => unknown[] };

describe("secret outputs of an enrollment", () => {
  it("keeps the attestation secret unless a TPM or X.509 type is declared as a plain string", () => {
    assert.equal(attestationMayHoldKeys({ type: "tpm", endorsementKey: "ek" }), false);
    assert.equal(attestationMayHoldKeys({ type: "X509", primaryCaName: "root" }), false);
    assert.equal(attestationMayHoldKeys({ type: "symmetricKey" }), true);
    assert.equal(attestationMayHoldKeys({ type: "SymmetricKey", primaryKey: "k" }), true);
    // Not known while the program is built: the output may hold generated keys.
    assert.equal(attestationMayHoldKeys(pulumi.output({ type: "tpm" })), true);
    assert.equal(attestationMayHoldKeys({ type: pulumi.output("tpm") }), true);
    assert.equal(attestationMayHoldKeys({ type: "typo" }), true);
    assert.equal(attestationMayHoldKeys(undefined), true); // get(): whatever the record holds
  });

  it("lists the connection and the attestation as the engine must keep them", () => {
    const secrets = (props: pulumi.Inputs, attestation: unknown, extra?: string[]) =>
      engineOptions(props, { additionalSecretOutputs: extra }, attestation).additionalSecretOutputs;
    assert.deepEqual(secrets({ connection: {} }, { type: "symmetricKey" }), ["connection", "attestation"]);
    assert.deepEqual(secrets({}, { type: "symmetricKey" }), ["attestation"]);
    assert.deepEqual(secrets({}, { type: "tpm", endorsementKey: "ek" }), []);
    assert.deepEqual(secrets({ connection: {} }, { type: "x509" }, ["tags"]), ["tags", "connection"]);
  });
});

describe("the call site an enrollment records", () => {
  it("keeps only the first frame while the hook is on, and puts the SDK's function back", () => {
    const original = sdk.stackTrace;
    assert.equal(typeof original, "function", "the SDK's Resource.stackTrace moved: see dynamic/callSite.ts");
    const restore = recordCallSiteOnly();
    assert.notEqual(sdk.stackTrace, original);
    assert.ok(sdk.stackTrace(0).length <= 1);
    restore();
    assert.equal(sdk.stackTrace, original);
    assert.ok(original(0).length > 1, "the SDK records the whole stack of any other resource");
  });

  it("puts it back when the resource cannot be constructed", () => {
    const original = sdk.stackTrace;
    // An empty name makes the SDK's Resource constructor throw after the hook is on.
    assert.throws(
      () => new IndividualEnrollment("", { registrationId: "x", attestation: { type: "tpm" } }),
      /name/i,
    );
    assert.throws(
      () => new EnrollmentGroup("", { enrollmentGroupId: "g", attestation: { type: "x509" } }),
      /name/i,
    );
    assert.equal(sdk.stackTrace, original);
  });
});
