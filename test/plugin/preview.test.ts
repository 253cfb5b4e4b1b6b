// What the plugin answers in a preview of a create or an update (pure): what the Set keeps is known,
// what the service decides is unknown, nothing is left out.
import { strict as assert } from "assert";
import { UNKNOWN } from "../../provider/core/checks";
import { previewCreate, previewUpdate } from "../../provider/core/preview";
import type { EnrollmentInputs, EnrollmentOutputs } from "../../provider/core/types";
import { ENROLLMENT_GROUP } from "../../provider/group/kind";
import { INDIVIDUAL_ENROLLMENT } from "../../provider/individual/kind";
import { pluginState } from "../../provider/plugin/enrollmentOperations";
import { symmetricKeyRecord } from "../support/records";

const connection = {};
const state = {
  ...symmetricKeyRecord("d1"),
  optionalDeviceInformation: { owner: "ops" },
  createdDateTimeUtc: "2026-12-01T10:00:00Z",
  lastUpdatedDateTimeUtc: "2026-12-01T10:00:00Z",
  registrationState: { registrationId: "d1", status: "assigned" },
  __dataPlane: "2026-11-01",
};

const olds = (extra: Record<string, unknown> = {}) =>
  ({ ...state, ...extra, connection }) as unknown as EnrollmentOutputs;
const inputs = (news: Record<string, unknown>) =>
  ({
    registrationId: "d1",
    attestation: { type: "symmetricKey" },
    connection,
    ...news,
  }) as unknown as EnrollmentInputs;

describe("plugin previews (pure)", () => {
  it("an update keeps the keys, dates, registration state and unmanaged fields known; the etag is unknown", () => {
    const outs = pluginState(previewUpdate(INDIVIDUAL_ENROLLMENT, olds(), inputs({ tags: { env: "prod" } })));
    const attestation = (outs.attestation as { value: Record<string, unknown> }).value;
    assert.deepEqual(attestation, state.attestation, "the kept keys, still secret");
    assert.deepEqual(outs.tags, { env: "prod" });
    assert.deepEqual(outs.optionalDeviceInformation, { owner: "ops" });
    assert.equal(outs.createdDateTimeUtc, state.createdDateTimeUtc);
    assert.deepEqual(outs.registrationState, state.registrationState);
    assert.equal(outs.etag, UNKNOWN);
    assert.equal(outs.lastUpdatedDateTimeUtc, UNKNOWN);
    for (const key of Object.keys(state)) assert.notEqual(outs[key], undefined, `${key} is not dropped`);
    assert.equal(outs.connection, undefined, "no connection in state");
  });

  it("an update that writes nothing keeps the state as it is, etag known", () => {
    const outs = previewUpdate(INDIVIDUAL_ENROLLMENT, olds(), inputs({ tags: { env: "dev" } }));
    assert.equal(outs.etag, state.etag);
    assert.equal(outs.lastUpdatedDateTimeUtc, state.lastUpdatedDateTimeUtc);
  });

  it("an input unknown as a whole is unknown in the state; allocation unknown together", () => {
    const outs = previewUpdate(
      INDIVIDUAL_ENROLLMENT,
      olds(),
      inputs({ tags: UNKNOWN, iotHubs: UNKNOWN }),
    ) as unknown as Record<string, unknown>;
    assert.equal(outs.tags, UNKNOWN);
    assert.equal(outs.iotHubs, UNKNOWN);
    assert.equal(outs.allocationPolicy, UNKNOWN);
    assert.deepEqual(outs.optionalDeviceInformation, { owner: "ops" });
  });

  it("state without keys (an older version's) leaves the keys unknown, not absent", () => {
    const outs = previewUpdate(
      INDIVIDUAL_ENROLLMENT,
      olds({ attestation: { type: "symmetricKey" } }),
      inputs({ tags: { env: "prod" } }),
    );
    assert.equal(outs.attestation.primaryKey, UNKNOWN);
    assert.equal(outs.attestation.secondaryKey, UNKNOWN);
  });

  it("what the dynamic face kept beside the record is not carried into the plugin's state", () => {
    const moved = olds({ __provider: "exports.handler = ...", __managed: ["tags"] });
    const outs = pluginState(previewUpdate(INDIVIDUAL_ENROLLMENT, moved, inputs({ tags: { env: "prod" } })));
    assert.equal(outs.__provider, undefined);
    assert.equal(outs.__managed, undefined);
    assert.equal(outs.__dataPlane, "2026-11-01");
  });

  it("new X.509 certificates leave the service's summary unknown; the same ones keep it", () => {
    const x509 = {
      registrationId: "d1",
      attestation: { type: "x509", primaryCertificate: "A", rootCertificate: false },
      certificates: {
        primary: { sha256Thumbprint: "AB", sha1Thumbprint: "", subjectName: "CN=d1", notAfterUtc: "" },
      },
    };
    const same = previewUpdate(
      INDIVIDUAL_ENROLLMENT,
      olds(x509),
      inputs({ attestation: { type: "x509", primaryCertificate: "A" }, tags: { env: "prod" } }),
    );
    assert.deepEqual(same.certificates, x509.certificates);
    const rotated = previewUpdate(
      INDIVIDUAL_ENROLLMENT,
      olds(x509),
      inputs({ attestation: { type: "x509", primaryCertificate: "B" } }),
    ) as unknown as Record<string, unknown>;
    assert.equal(rotated.certificates, UNKNOWN);
  });

  it("a create gives the program's properties and the Add defaults; generated keys, etag and dates unknown", () => {
    const outs = previewCreate(INDIVIDUAL_ENROLLMENT, inputs({ tags: { env: "dev" } }));
    assert.deepEqual(outs.attestation, { type: "symmetricKey", primaryKey: UNKNOWN, secondaryKey: UNKNOWN });
    assert.deepEqual(outs.tags, { env: "dev" });
    assert.equal(outs.provisioningStatus, "Enabled");
    assert.deepEqual(outs.desired, {});
    assert.equal(outs.etag, UNKNOWN);
    assert.equal(outs.createdDateTimeUtc, UNKNOWN);
    assert.equal(outs.registrationState, undefined, "a new record has no registration");
  });

  it("a create that adopts leaves what the program does not give unknown", () => {
    const outs = previewCreate(
      ENROLLMENT_GROUP,
      inputs({ registrationId: undefined, enrollmentGroupId: "g1", adopt: true, tags: { env: "dev" } }),
    ) as unknown as Record<string, unknown>;
    assert.deepEqual(outs.tags, { env: "dev" });
    assert.equal(outs.desired, UNKNOWN);
    assert.equal(outs.provisioningStatus, UNKNOWN);
    assert.deepEqual(outs.attestation, { type: "symmetricKey", primaryKey: UNKNOWN, secondaryKey: UNKNOWN });
  });

  it("a create with an unknown attestation leaves it unknown, and secret", () => {
    const outs = pluginState(previewCreate(INDIVIDUAL_ENROLLMENT, inputs({ attestation: UNKNOWN })));
    assert.deepEqual((outs.attestation as { value: unknown }).value, UNKNOWN);
  });
});
