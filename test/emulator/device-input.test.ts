// The smaller decisions of issue 19 about what devices (and other callers) send, over raw HTTPS as a
// hostile device would send it: device SAS lifetime and skn, Content-Type, the registration payload,
// and how much of its input an error message repeats.
import assert from "node:assert/strict";
import type { IndividualEnrollment } from "azure-iot-provisioning-service/dist/interfaces";
import { createSasToken, type EmulatorHandle } from "../../emulator";
import { MAX_ECHOED_CHARACTERS, MAX_MESSAGE_CHARACTERS } from "../../emulator/errors";
import { deviceSas } from "../support/csr";
import { registerDevice } from "../support/devices";
import { KEY_A, KEY_B, clientFor, expectRawError, raw, start } from "./helpers";

const V = "api-version=2021-10-01";

describe("emulator: device input the service would refuse", function () {
  this.timeout(60_000);
  let emu: EmulatorHandle;

  before(async () => {
    emu = await start();
    await clientFor(emu).createOrUpdateIndividualEnrollment({
      registrationId: "dev-in",
      attestation: { type: "symmetricKey", symmetricKey: { primaryKey: KEY_A, secondaryKey: KEY_B } },
    } as IndividualEnrollment);
  });
  after(() => emu?.stop());

  const register = (id: string, body: string, authorization: string | null, type = "application/json") =>
    raw(emu, `/${emu.idScope}/registrations/${id}/register?${V}`, {
      method: "PUT",
      headers: { "content-type": type },
      body,
      authorization,
    });

  it("a device SAS needs skn=registration and may not live more than 366 days", async () => {
    const body = '{"registrationId":"dev-in"}';
    const noSkn = deviceSas(emu, "dev-in", KEY_A).replace("&skn=registration", "");
    expectRawError(await register("dev-in", body, noSkn), 401, 401002, /needs skn=registration/);
    const sr = `${emu.idScope}/registrations/dev-in`;
    const twoYears = Math.floor(Date.now() / 1000) + 2 * 366 * 86400;
    const longLived = createSasToken(sr, "registration", KEY_A, twoYears);
    expectRawError(await register("dev-in", body, longLived), 401, 401002, /expires too far in the future/);
    // What the device SDK sends still works.
    assert.equal((await registerDevice(emu, "dev-in", { symmetricKey: KEY_A })).status, "assigned");
  });

  it("415 for a body labelled as something other than JSON; JSON with a charset is fine", async () => {
    const sas = deviceSas(emu, "dev-in", KEY_A);
    const text = await register("dev-in", '{"registrationId":"dev-in"}', sas, "text/plain");
    expectRawError(text, 415, 415001, /Content-Type 'text\/plain' is not supported/);
    const json = await register(
      "dev-in",
      '{"registrationId":"dev-in"}',
      sas,
      "application/json; charset=utf-8",
    );
    assert.equal(json.status, 202, json.text);
    // The service's operation id format: 4.{16 hex}.{GUID}.
    assert.match(
      String((json.json() as { operationId: string }).operationId),
      /^4\.[0-9a-f]{16}\.[0-9a-f-]{36}$/,
    );
    const put = await raw(emu, `/enrollments/x-1?${V}`, {
      method: "PUT",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "registrationId=x-1",
    });
    expectRawError(put, 415, 415001);
  });

  it("a registration payload that is not a JSON object is a 400", async () => {
    const sas = deviceSas(emu, "dev-in", KEY_A);
    for (const payload of ['"text"', "42", "[1,2]"]) {
      const res = await register("dev-in", `{"registrationId":"dev-in","payload":${payload}}`, sas);
      expectRawError(res, 400, 400002, /'payload' must be a JSON object/);
    }
  });

  it(`error messages repeat at most ${MAX_ECHOED_CHARACTERS} characters of an id, and are at most ${MAX_MESSAGE_CHARACTERS} long`, async () => {
    const long = "a".repeat(8000);
    const bad = await register(long, "{}", null);
    expectRawError(bad, 400, 400005, /The registration id 'a+\.\.\. \(8000 characters\)' is invalid/);
    assert.ok(bad.text.length < 600, `${bad.text.length} characters`);
    const scope = await raw(emu, `/${"s".repeat(8000)}/registrations/dev-in/register?${V}`, {
      method: "PUT",
      authorization: null,
    });
    expectRawError(scope, 401, 401002, /ID scope 's+\.\.\. \(8000 characters\)'/);
    const route = await raw(emu, `/${"r".repeat(8000)}?${V}`, { authorization: null });
    assert.equal(route.status, 404);
    assert.ok(route.text.length < 600, `${route.text.length} characters`);
    // Authenticated callers too: a 404 for an unvalidated id is cut as a whole.
    const missing = await raw(emu, `/enrollments/${"m".repeat(8000)}?${V}`);
    assert.equal(missing.status, 404);
    const message = (missing.json() as { message: string }).message;
    assert.ok(message.length <= MAX_MESSAGE_CHARACTERS + 40, `${message.length} characters`);
  });
});
