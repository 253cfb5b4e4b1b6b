// The plugin's schema against the code it is generated from and the checks the core runs: a property
// the schema offers must pass the kind's check, one the check takes must be in the schema, and the
// schema the real CLI gets (`pulumi package get-schema` on the plugin) lists every cmdlet parameter.
// The property tables are checked against the TypeScript Args at compile time (below), so a
// property added to `IndividualEnrollmentArgs` alone stops this file from compiling: see the
// type-level checks below.
import { strict as assert } from "assert";
import { execFile } from "node:child_process";
import * as path from "node:path";
import { promisify } from "node:util";
import type { EnrollmentGroupArgs, GroupAttestationArgs } from "../../provider/group/resource";
import type { AttestationArgs, IndividualEnrollmentArgs } from "../../provider/individual/resource";
import { UNKNOWN } from "../../provider/core/checks";
import { checkFleet } from "../../provider/fleet/check";
import { KINDS, RESOURCES } from "../../provider/kinds";
import { INDIVIDUAL_TOKEN } from "../../provider/plugin/kinds";
import { GROUP_ATTESTATION_FIELDS, GROUP_INPUTS } from "../../provider/group/properties";
import { ATTESTATION_FIELDS, INDIVIDUAL_INPUTS } from "../../provider/individual/properties";
import { packageSchema, type PackageSchema } from "../../provider/plugin/schema";
import { findPulumi, REPO_ROOT } from "../support/engine";

/** True only when A and B have the same keys. */
type SameKeys<A, B> = [Exclude<keyof A, keyof B>, Exclude<keyof B, keyof A>] extends [never, never]
  ? true
  : false;
const sameKeys = <T extends true>(value: T): T => value;
// The schema's inputs are exactly the Args' keys but `connection` (provider configuration).
sameKeys<SameKeys<typeof INDIVIDUAL_INPUTS, Omit<IndividualEnrollmentArgs, "connection">>>(true);
sameKeys<SameKeys<typeof GROUP_INPUTS, Omit<EnrollmentGroupArgs, "connection">>>(true);
sameKeys<SameKeys<typeof ATTESTATION_FIELDS, AttestationArgs>>(true);
sameKeys<SameKeys<typeof GROUP_ATTESTATION_FIELDS, GroupAttestationArgs>>(true);

const schema = packageSchema("0.0.0-test");
// One case per kind of the list (provider/kinds.ts): token, id key, the kind, its checks, its attestation type.
const CASES = KINDS.map(
  (kind) => [kind.plugin.token, kind.idKey, kind, kind.checks, kind.plugin.attestation.name] as const,
);

/** The fields of a type of the schema. */
function fields(s: PackageSchema, name: string): string[] {
  return Object.keys(s.types[`dps-enrollments:index:${name}`].properties).sort();
}

describe("plugin schema", () => {
  for (const [token, idKey, kind, spec, attestationType] of CASES) {
    describe(token, () => {
      const inputs = Object.keys(schema.resources[token].inputProperties);

      it("offers no property the kind's check rejects as unknown", () => {
        const raw: Record<string, unknown> = { connection: {} };
        for (const key of inputs) raw[key] = null;
        const unknown = kind.check(raw).failures.filter((f) => f.reason.includes("is not a property of"));
        assert.deepEqual(unknown, []);
      });

      it("lists every property the kind's check takes (but the connection)", () => {
        const raw: Record<string, unknown> = {
          connection: {},
          [idKey]: "x",
          attestation: { type: "symmetricKey" },
        };
        // A property the check takes is not reported as unknown; the schema must offer each of them.
        for (const key of [...spec.inputs, idKey]) {
          assert.ok(inputs.includes(key), `${key} is in the schema`);
          raw[key] = null;
        }
        assert.ok(!inputs.includes("connection"), "the connection is provider configuration");
        assert.ok(!inputs.includes("bogus"));
        assert.ok(kind.check({ ...raw, bogus: 1 }).failures.some((f) => f.property === "bogus"));
      });

      it("has the attestation fields of every attestation type the kind takes", () => {
        const taken = new Set(["type", ...Object.values(spec.attestations).flat()]);
        assert.deepEqual(fields(schema, attestationType), [...taken].sort());
      });

      it("marks the keys secret and the id as replacing", () => {
        const attestation = schema.types[`dps-enrollments:index:${attestationType}`].properties;
        assert.equal(attestation.primaryKey.secret, true);
        assert.equal(attestation.secondaryKey.secret, true);
        assert.equal(schema.resources[token].inputProperties[idKey].replaceOnChanges, true);
      });
    });
  }

  describe("dps-enrollments:index:EnrollmentFleet", () => {
    const fleet = schema.resources["dps-enrollments:index:EnrollmentFleet"];
    const typeFields = (name: string) =>
      Object.keys(schema.types[`dps-enrollments:index:${name}`].properties);
    const connection = {
      connectionString:
        "HostName=h.azure-devices-provisioning.net;SharedAccessKeyName=p;SharedAccessKey=a2V5",
    };
    /** The failures of `checkFleet` that refuse a property where it was given (unknown, or not per item). */
    const refused = (raw: Record<string, unknown>) =>
      checkFleet(raw, connection, "test").failures.filter((f) =>
        /is not a property of|cannot give/.test(f.reason),
      );

    it("takes exactly defaults, enrollments and adopt (the connection is provider configuration)", () => {
      assert.deepEqual(Object.keys(fleet.inputProperties).sort(), ["adopt", "defaults", "enrollments"]);
      assert.deepEqual(fleet.requiredInputs, ["enrollments"]);
      assert.deepEqual(refused({ enrollments: {}, defaults: {}, adopt: true }), []);
      assert.equal(refused({ enrollments: {}, bogus: 1 }).length, 1);
    });

    it("offers per item and in defaults what the fleet's check takes there, and nothing it refuses", () => {
      const item = Object.fromEntries(typeFields("EnrollmentFleetItem").map((k) => [k, UNKNOWN]));
      const defaults = Object.fromEntries(typeFields("EnrollmentFleetDefaults").map((k) => [k, UNKNOWN]));
      assert.deepEqual(
        refused({ enrollments: { a: { ...item, attestation: { type: "tpm" } } }, defaults }),
        [],
      );
      // What an item is: an individual enrollment's inputs but its id (the key) and `adopt`.
      const individual = Object.keys(INDIVIDUAL_INPUTS).filter(
        (k) => k !== "registrationId" && k !== "adopt",
      );
      assert.deepEqual(typeFields("EnrollmentFleetItem").sort(), individual.sort());
      for (const own of ["attestation", "registrationId", "adopt"]) {
        assert.ok(!typeFields("EnrollmentFleetDefaults").includes(own), `${own} is not a default`);
        if (own !== "attestation")
          assert.equal(refused({ enrollments: {}, defaults: { [own]: UNKNOWN } }).length, 1);
      }
      assert.deepEqual(
        typeFields("EnrollmentFleetAttestation").sort(),
        Object.keys(ATTESTATION_FIELDS).sort(),
      );
    });

    it("outputs the count, the keys secret, the failures and drift, and never the items", () => {
      assert.deepEqual(Object.keys(fleet.properties).sort(), [
        "adopt",
        "deviceKeys",
        "driftedEnrollments",
        "enrollmentCount",
        "failedEnrollments",
      ]);
      assert.equal(fleet.properties.deviceKeys.secret, true);
      assert.deepEqual(fleet.required, ["enrollmentCount"]);
    });
  });

  it("`pulumi package get-schema` on the plugin lists every resource and every cmdlet parameter", async function () {
    this.timeout(120_000);
    const pulumi = await findPulumi();
    const plugin = path.join(REPO_ROOT, "bin", "pulumi-resource-dps-enrollments");
    const { stdout } = await promisify(execFile)(
      path.join(pulumi.binDir, "pulumi"),
      ["package", "get-schema", plugin],
      {
        env: {
          ...process.env,
          PULUMI_SKIP_UPDATE_CHECK: "true",
          PATH: `${path.dirname(process.execPath)}:${process.env.PATH}`,
        },
        maxBuffer: 16 * 1024 * 1024,
      },
    );
    const got = JSON.parse(stdout) as PackageSchema;
    assert.deepEqual(
      Object.keys(got.resources).sort(),
      RESOURCES.map((resource) => resource.plugin.token).sort(),
    );
    assert.ok(got.functions["dps-enrollments:index:deriveDeviceKey"], "deriveDeviceKey is a function");
    // Set-/Add-AzIoTDeviceProvisioningServiceEnrollment parameters, and where the schema has them.
    const cmdlet: Record<string, string> = {
      RegistrationId: "registrationId",
      DeviceId: "deviceId",
      ProvisioningStatus: "provisioningStatus",
      ReprovisionPolicy: "reprovisionPolicy",
      EdgeEnabled: "edgeEnabled",
      Tag: "tags",
      Desired: "desired",
      AllocationPolicy: "allocationPolicy",
      IotHub: "iotHubs",
      IotHubHostName: "iotHubHostName",
      WebhookUrl: "webhookUrl",
      ApiVersion: "apiVersion",
      AttestationType: "attestation.type",
      PrimaryKey: "attestation.primaryKey",
      SecondaryKey: "attestation.secondaryKey",
      EndorsementKey: "attestation.endorsementKey",
      StorageRootKey: "attestation.storageRootKey",
      PrimaryCertificate: "attestation.primaryCertificate",
      SecondaryCertificate: "attestation.secondaryCertificate",
      RootCertificate: "attestation.rootCertificate",
      PrimaryCAName: "attestation.primaryCaName",
      SecondaryCAName: "attestation.secondaryCaName",
    };
    const individual = got.resources[INDIVIDUAL_TOKEN].inputProperties;
    const attestation = got.types["dps-enrollments:index:Attestation"].properties;
    for (const [parameter, property] of Object.entries(cmdlet)) {
      const [head, field] = property.split(".");
      assert.ok(
        field ? attestation[field] : individual[head],
        `-${parameter} is in the schema as ${property}`,
      );
    }
    // -ResourceGroupName/-DpsName/-ResourceId/-DpsObject name the DPS: provider configuration.
    assert.ok(got.config.variables.connectionString.secret, "the connection string is secret config");
    assert.deepEqual(Object.keys(got.provider.inputProperties).sort(), [
      "caCertificate",
      "connectionString",
      "credential",
      "endpoint",
      "hostName",
    ]);
  });
});
