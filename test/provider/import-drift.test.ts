// Pure rules behind the `import` option and drift names: no I/O.
import { strict as assert } from "assert";
import { managedKeys, refreshedInputs } from "../../provider/core/drift";
import { importDifferences } from "../../provider/core/importing";
import type { EnrollmentInputs, EnrollmentOutputs, EnrollmentView } from "../../provider/core/types";
import { INDIVIDUAL_ENROLLMENT } from "../../provider/individual/kind";
import { symmetricKeyRecord } from "../support/records";

const connection = { connectionString: "HostName=dps.example;SharedAccessKeyName=p;SharedAccessKey=k" };

function inputs(extra: Partial<EnrollmentInputs> = {}): EnrollmentInputs {
  return {
    connection,
    registrationId: "dev-1",
    attestation: { type: "symmetricKey" },
    ...extra,
  } as EnrollmentInputs;
}

function view(extra: Partial<EnrollmentView> = {}): EnrollmentView {
  return symmetricKeyRecord("dev-1", { deviceId: "device-1", ...extra });
}

describe("drift names (pure)", () => {
  it("records the optional properties and attestation fields the program sets", () => {
    assert.deepEqual(
      managedKeys(
        inputs({
          tags: { a: 1 },
          allocationPolicy: "Hashed",
          attestation: { type: "tpm", endorsementKey: "ek" },
        }),
      ),
      ["tags", "allocationPolicy", "attestation.endorsementKey"],
    );
  });

  it("gives inputs holding the service's values of the managed properties when one drifted", () => {
    const state = { ...view(), connection } as EnrollmentOutputs;
    const refreshed = view({ tags: { env: "hacked" }, deviceId: "changed-too", etag: '"2"' });
    assert.deepEqual(refreshedInputs(state, refreshed, INDIVIDUAL_ENROLLMENT, ["tags"]), {
      connection,
      registrationId: "dev-1",
      attestation: { type: "symmetricKey" },
      tags: { env: "hacked" },
    });
  });

  it("keeps the stored inputs when only unmanaged properties moved, or the state predates the list", () => {
    const state = { ...view(), connection } as EnrollmentOutputs;
    assert.equal(
      refreshedInputs(state, view({ deviceId: "other", etag: '"2"' }), INDIVIDUAL_ENROLLMENT, ["tags"]),
      undefined,
    );
    // State written by 0.1.0 has no list.
    const old = { ...view(), connection } as EnrollmentOutputs;
    assert.equal(
      refreshedInputs(old, view({ tags: { env: "hacked" } }), INDIVIDUAL_ENROLLMENT, undefined),
      undefined,
    );
  });

  it("shows a managed property the service dropped as absent", () => {
    const state = {
      ...view({ allocationPolicy: "Hashed", iotHubs: ["h1"] }),
      connection,
    } as EnrollmentOutputs;
    const result = refreshedInputs(state, view(), INDIVIDUAL_ENROLLMENT, ["allocationPolicy", "iotHubs"]);
    assert.ok(result);
    assert.equal(result.allocationPolicy, undefined);
    assert.equal(result.iotHubs, undefined);
  });
});

describe("import differences (pure)", () => {
  it("is empty when every managed property matches, whatever the program leaves out", () => {
    assert.deepEqual(importDifferences(view(), inputs({ tags: { env: "dev" } }), INDIVIDUAL_ENROLLMENT), []);
  });

  it("lists each differing property with both values", () => {
    assert.deepEqual(
      importDifferences(
        view(),
        inputs({ tags: { env: "prod" }, deviceId: "device-2" }),
        INDIVIDUAL_ENROLLMENT,
      ),
      [
        'deviceId: the DPS has "device-1", the program says "device-2"',
        'tags: the DPS has {"env":"dev"}, the program says {"env":"prod"}',
      ],
    );
  });

  it("names a differing symmetric key without printing either key", () => {
    const lines = importDifferences(
      view(),
      inputs({ attestation: { type: "symmetricKey", primaryKey: "b3RoZXI=", secondaryKey: "a2V5Mg==" } }),
      INDIVIDUAL_ENROLLMENT,
    );
    assert.deepEqual(lines, ["attestation.primaryKey: differs from the key the DPS holds"]);
  });

  it("reports another attestation type", () => {
    assert.deepEqual(
      importDifferences(
        view(),
        inputs({ attestation: { type: "tpm", endorsementKey: "ek" } }),
        INDIVIDUAL_ENROLLMENT,
      ),
      ['attestation.type: the DPS has "symmetricKey", the program says "tpm"'],
    );
  });
});
