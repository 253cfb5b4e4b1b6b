import assert from "node:assert/strict";
import {
  DPS_RESOURCE_ID_SHAPE,
  MISSING_ENROLLMENT_WRITE_POLICY,
  buildConnectionString,
  connectionStringFromPolicies,
  hasRight,
  parseDpsResourceId,
  pickEnrollmentWritePolicy,
} from "../../provider/azure/resourceId";

const SUB = "00000000-1111-2222-3333-444444444444";
const ID = `/subscriptions/${SUB}/resourceGroups/My-RG/providers/Microsoft.Devices/provisioningServices/My-Dps`;

describe("parseDpsResourceId", () => {
  it("parses subscription, resource group and name, keeping their case", () => {
    assert.deepEqual(parseDpsResourceId(ID), {
      subscriptionId: SUB,
      resourceGroupName: "My-RG",
      dpsName: "My-Dps",
    });
  });

  it("matches the keywords case-insensitively, like the cmdlet and ARM", () => {
    const lower = ID.replace("resourceGroups", "resourcegroups")
      .replace("Microsoft.Devices", "microsoft.devices")
      .replace("provisioningServices", "PROVISIONINGSERVICES")
      .replace("subscriptions", "Subscriptions");
    assert.deepEqual(parseDpsResourceId(lower), {
      subscriptionId: SUB,
      resourceGroupName: "My-RG",
      dpsName: "My-Dps",
    });
  });

  it("ignores surrounding white space and one trailing slash", () => {
    assert.equal(parseDpsResourceId(`  ${ID}/ `).dpsName, "My-Dps");
  });

  const malformed: [string, string, RegExp][] = [
    ["empty", "", /must start with \/subscriptions\//],
    ["no leading slash", ID.slice(1), /must start with/],
    [
      "an IoT hub id",
      ID.replace("provisioningServices", "IotHubs"),
      /"IotHubs" where "provisioningServices" belongs/,
    ],
    ["another provider", ID.replace("Microsoft.Devices", "Microsoft.Storage"), /"Microsoft.Storage"/],
    ["a child resource", `${ID}/certificates/root`, /10 segments, a DPS resource id has 8/],
    ["missing the name", ID.replace("/My-Dps", ""), /7 segments/],
    ["an empty resource group", ID.replace("My-RG", ""), /segment after \/resourceGroups\/ is empty/],
    ["a name only", "My-Dps", /must start with/],
  ];
  for (const [what, id, why] of malformed) {
    it(`rejects ${what} with an error naming the expected shape`, () => {
      assert.throws(
        () => parseDpsResourceId(id),
        (err: Error) => {
          assert.match(err.message, /^Invalid DPS resource id /);
          assert.match(err.message, why);
          assert.ok(err.message.includes(DPS_RESOURCE_ID_SHAPE), err.message);
          return true;
        },
      );
    });
  }

  it("rejects a value that is not a string", () => {
    assert.throws(() => parseDpsResourceId(undefined as unknown as string), /not a string/);
  });
});

describe("hasRight", () => {
  it("matches whole rights, case-insensitively, across comma-separated white space", () => {
    assert.equal(hasRight("ServiceConfig, EnrollmentRead, EnrollmentWrite", "EnrollmentWrite"), true);
    assert.equal(hasRight("enrollmentwrite", "EnrollmentWrite"), true);
    assert.equal(hasRight("ServiceConfig,EnrollmentRead", "EnrollmentWrite"), false);
    assert.equal(hasRight("EnrollmentWriteX", "EnrollmentWrite"), false);
    assert.equal(hasRight(undefined, "EnrollmentWrite"), false);
  });
});

describe("pickEnrollmentWritePolicy", () => {
  const read = { keyName: "reader", rights: "EnrollmentRead", primaryKey: "cmVhZA==" };
  const owner = {
    keyName: "provisioningserviceowner",
    rights: "ServiceConfig, DeviceConnect, EnrollmentWrite",
    primaryKey: "b3duZXI=",
  };
  const writer = { keyName: "writer", rights: "EnrollmentRead, EnrollmentWrite", primaryKey: "d3JpdGU=" };

  it("takes the first policy with EnrollmentWrite, after one without", () => {
    assert.equal(pickEnrollmentWritePolicy([read, owner, writer]), owner);
    assert.equal(pickEnrollmentWritePolicy([read, writer, owner]), writer);
  });

  it("throws exactly the cmdlet's message when none qualifies", () => {
    assert.equal(
      MISSING_ENROLLMENT_WRITE_POLICY,
      "Missing shared access policy for EnrollmentWrite permission.",
    );
    assert.throws(() => pickEnrollmentWritePolicy([read]), { message: MISSING_ENROLLMENT_WRITE_POLICY });
    assert.throws(() => pickEnrollmentWritePolicy([]), { message: MISSING_ENROLLMENT_WRITE_POLICY });
    assert.throws(() => pickEnrollmentWritePolicy(undefined), { message: MISSING_ENROLLMENT_WRITE_POLICY });
  });
});

describe("buildConnectionString / connectionStringFromPolicies", () => {
  it("builds the cmdlet's connection string", () => {
    assert.equal(
      buildConnectionString("my-dps.azure-devices-provisioning.net", "writer", "a2V5+/=="),
      "HostName=my-dps.azure-devices-provisioning.net;SharedAccessKeyName=writer;SharedAccessKey=a2V5+/==",
    );
  });

  it("rejects empty parts and parts with ';'", () => {
    assert.throws(() => buildConnectionString("", "writer", "a2V5"), /HostName is empty/);
    assert.throws(() => buildConnectionString("h", "writer", ""), /SharedAccessKey is empty/);
    assert.throws(() => buildConnectionString("h", "a;b", "a2V5"), /SharedAccessKeyName contains ";"/);
  });

  it("uses the chosen policy's primary key", () => {
    assert.equal(
      connectionStringFromPolicies("h.azure-devices-provisioning.net", [
        { keyName: "reader", rights: "EnrollmentRead", primaryKey: "cmVhZA==" },
        { keyName: "writer", rights: "EnrollmentWrite", primaryKey: "d3JpdGU=", secondaryKey: "c2Vjb25k" },
      ]),
      "HostName=h.azure-devices-provisioning.net;SharedAccessKeyName=writer;SharedAccessKey=d3JpdGU=",
    );
  });

  it("explains a chosen policy without keys (read from the resource, not listed)", () => {
    assert.throws(
      () => connectionStringFromPolicies("h", [{ keyName: "writer", rights: "EnrollmentWrite" }]),
      /"writer" has EnrollmentWrite but no primary key was returned; list the keys with listIotDpsResourceKeys/,
    );
  });
});
