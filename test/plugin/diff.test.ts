// The plugin's detailed diff (pure): the paths the Set will write, with their kinds, from the core's diff.
import { strict as assert } from "assert";
import { diffEnrollment } from "../../provider/core/diff";
import type { EnrollmentInputs, EnrollmentOutputs } from "../../provider/core/types";
import { INDIVIDUAL_ENROLLMENT } from "../../provider/individual/kind";
import { detailedDiff } from "../../provider/plugin/diff";
import { UNKNOWN } from "../../provider/core/checks";
import { symmetricKeyRecord } from "../support/records";

const connection = {
  connectionString: "HostName=d.azure-devices-provisioning.net;SharedAccessKeyName=p;SharedAccessKey=a2V5",
};
const olds = symmetricKeyRecord("d1", {
  attestation: { type: "symmetricKey", primaryKey: "P", secondaryKey: "S" },
}) as unknown as Record<string, unknown>;

function detailed(news: Record<string, unknown>, state: Record<string, unknown> = olds) {
  const inputs = { registrationId: "d1", attestation: { type: "symmetricKey" }, ...news };
  const diff = diffEnrollment(
    { ...state, connection } as unknown as EnrollmentOutputs,
    { ...inputs, connection } as unknown as EnrollmentInputs,
    INDIVIDUAL_ENROLLMENT,
  );
  return detailedDiff(diff, state, inputs);
}

describe("plugin detailed diff (pure)", () => {
  it("names nothing when the program matches the record, whatever else it holds", () => {
    assert.deepEqual(detailed({ tags: { env: "dev" } }), {});
  });

  it("names each property the Set writes: update when the record has it, add when not", () => {
    assert.deepEqual(detailed({ tags: { env: "prod" }, deviceId: "dev-1" }), {
      tags: "update",
      deviceId: "add",
    });
  });

  it("names an attestation field, not the whole attestation", () => {
    assert.deepEqual(
      detailed({ attestation: { type: "symmetricKey", primaryKey: "Q", secondaryKey: "S" } }),
      {
        "attestation.primaryKey": "update",
      },
    );
  });

  it("marks what replaces: the id, the attestation type", () => {
    assert.deepEqual(detailed({ registrationId: "d2" }), { registrationId: "updateReplace" });
    assert.deepEqual(detailed({ attestation: { type: "tpm", endorsementKey: "ek" } }), {
      "attestation.type": "updateReplace",
    });
  });

  it("names a value not known yet as a change", () => {
    assert.deepEqual(detailed({ tags: UNKNOWN }), { tags: "update" });
  });
});
