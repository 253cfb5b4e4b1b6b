import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import { previewAttestation } from "../../provider/dynamic/previewOutputs";

// The rule for a step that writes nothing; a step that writes is unknown as a whole (its etag is),
// which the engine test test/engine/preview-outputs.e2e.test.ts shows through the real CLI.
describe("the attestation a dynamic preview states (previewOutputs.ts)", () => {
  const key = Buffer.alloc(64, 1).toString("base64");

  it("the state's keys, TPM and X.509 attestations are stated as they are", () => {
    const sym = { type: "symmetricKey" as const, primaryKey: key, secondaryKey: key };
    const tpm = { type: "tpm" as const, endorsementKey: "AToAAQ==" };
    const x509 = { type: "x509" as const, primaryCaName: "ca" };
    assert.equal(previewAttestation(sym), sym);
    assert.equal(previewAttestation(tpm), tpm);
    assert.equal(previewAttestation(x509), x509);
  });

  it("symmetric keys the state lacks are unknown, never undefined", () => {
    assert.ok(pulumi.isUnknown(previewAttestation({ type: "symmetricKey" })));
    assert.ok(pulumi.isUnknown(previewAttestation({ type: "symmetricKey", primaryKey: key })));
  });
});
