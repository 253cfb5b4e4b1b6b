// The fleet bench's manifest and targets (pure): what BENCHMARKS.md's fleet rows are measured against.
import { strict as assert } from "assert";
import { endorsementKeyProblem } from "../../emulator/tpm";
import { fleetTargets } from "../../bench/fleet";
import { fleetManifest, itemEndorsementKey } from "../../bench/fleetProgram";

describe("bench: the EnrollmentFleet manifest and its targets (pure)", () => {
  it("gives every item its own endorsement key of a real key's size, one the DPS accepts", () => {
    const manifest = fleetManifest("line7", 50);
    const ids = Object.keys(manifest);
    assert.equal(ids[42], "line7-00042");
    const keys = new Set(ids.map((id) => manifest[id].attestation.endorsementKey));
    assert.equal(keys.size, 50);
    for (const key of keys) {
      assert.equal(endorsementKeyProblem(key), undefined);
      assert.equal(key.length, 424);
    }
    assert.equal(itemEndorsementKey("line7-00042"), manifest["line7-00042"].attestation.endorsementKey);
  });

  it("measures N = 10,000 at 1,000 operations a minute against issue 30's figures", () => {
    assert.deepEqual(fleetTargets(10_000, 1000), {
      writeSeconds: 78,
      refreshCalls: 110,
      peakRssMB: 300,
      stateBytesPerItem: 700,
    });
  });
});
