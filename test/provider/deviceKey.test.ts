import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import { deriveDeviceKey, deriveDeviceKeyOutput } from "../../provider";

// The example of Microsoft's "How to provision legacy devices using symmetric keys" (azure-docs,
// articles/iot-dps/how-to-legacy-device-symm-key.md): a group key, a registration id, and the derived
// key the article's openssl and PowerShell commands print.
const DOCS_GROUP_KEY =
  "8isrFI1sGsIlvvFSSFRiMfCNzv21fjbE/+ah/lSh3lF8e2YG1Te7w1KpZhJFFXJrqYKi9yegxkqIChbqOS9Egw==";
const DOCS_REGISTRATION_ID = "sn-007-888-abc-mac-a1-b2-c3-d4-e5-f6";
const DOCS_DEVICE_KEY = "Jsm0lyGpjaVYVP2g3FnmnmG9dI/9qU24wNoykUmermc=";

describe("deriveDeviceKey", () => {
  it("matches the device key Microsoft's DPS documentation derives for its example group", () => {
    assert.equal(deriveDeviceKey(DOCS_GROUP_KEY, DOCS_REGISTRATION_ID), DOCS_DEVICE_KEY);
  });

  it("differs per device and per group key", () => {
    const other = Buffer.alloc(64, 9).toString("base64");
    assert.notEqual(deriveDeviceKey(DOCS_GROUP_KEY, "sn-007-888-abc-mac-a1-b2-c3-d4-e5-f7"), DOCS_DEVICE_KEY);
    assert.notEqual(deriveDeviceKey(other, DOCS_REGISTRATION_ID), DOCS_DEVICE_KEY);
  });

  it("refuses a group key that is not base64 and an empty registration id", () => {
    assert.throws(
      () => deriveDeviceKey("not base64!", "dev"),
      /groupKey must be the group's base64 symmetric key/,
    );
    assert.throws(() => deriveDeviceKey(DOCS_GROUP_KEY, ""), /registrationId must not be empty/);
  });

  it("the Output form is secret", async () => {
    const key = deriveDeviceKeyOutput(pulumi.output(DOCS_GROUP_KEY), DOCS_REGISTRATION_ID);
    assert.equal(await pulumi.isSecret(key), true);
    const value = await new Promise<string>((resolve) => key.apply((v) => resolve(v)));
    assert.equal(value, DOCS_DEVICE_KEY);
  });
});
