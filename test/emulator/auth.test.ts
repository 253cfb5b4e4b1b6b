import assert from "node:assert/strict";
import { DefaultAzureCredential } from "@azure/identity";
import type { EmulatorHandle } from "../../emulator";
import { createSasToken } from "../../emulator";
import { createServiceClient } from "../../provider/core/transport";
import {
  clientFor,
  connectionStringFor,
  expectDpsError,
  expectRawError,
  putEnrollment,
  raw,
  runBulk,
  start,
} from "./helpers";

const sym = { type: "symmetricKey" };
const READ_KEY = Buffer.alloc(32, 7).toString("base64");
const REG_KEY = Buffer.alloc(32, 8).toString("base64");
const OWNER_KEY = Buffer.alloc(32, 9).toString("base64");
const OWNER_KEY2 = Buffer.alloc(32, 10).toString("base64");

describe("emulator: authentication and rights", () => {
  let emu: EmulatorHandle;

  before(async () => {
    emu = await start({
      testIssuer: true,
      policies: [
        {
          keyName: "owner",
          primaryKey: OWNER_KEY,
          secondaryKey: OWNER_KEY2,
          rights: ["EnrollmentWrite", "RegistrationStatusWrite"],
        },
        { keyName: "reader", primaryKey: READ_KEY, rights: ["EnrollmentRead"] },
        { keyName: "registrations", primaryKey: REG_KEY, rights: ["RegistrationStatusRead"] },
      ],
    });
  });
  after(() => emu.stop());

  it("uses the first policy with EnrollmentWrite for the connection string, and write implies read", async () => {
    assert.match(emu.connectionString, /SharedAccessKeyName=owner;SharedAccessKey=/);
    const client = clientFor(emu);
    await putEnrollment(client, { registrationId: "auth-1", attestation: sym });
    assert.equal((await client.getIndividualEnrollment("auth-1")).responseBody.registrationId, "auth-1");
  });

  it("accepts tokens signed with the secondary key", async () => {
    const client = clientFor(emu, connectionStringFor(emu, "owner", OWNER_KEY2));
    await putEnrollment(client, { registrationId: "auth-secondary", attestation: sym });
  });

  it("401 when the signature is wrong", async () => {
    const wrong = clientFor(emu, connectionStringFor(emu, "owner", Buffer.alloc(32, 3).toString("base64")));
    await expectDpsError(wrong.getIndividualEnrollment("auth-1"), 401, 401002, /signature is invalid/);
  });

  it("401 when the token expired", async () => {
    const expired = createSasToken(emu.hostName, "owner", OWNER_KEY, Math.floor(Date.now() / 1000) - 10);
    expectRawError(
      await raw(emu, "/enrollments/auth-1?api-version=2021-10-01", { authorization: expired }),
      401,
      401002,
      /expired/,
    );
  });

  it("401 when the token names an unknown policy, another host, or is malformed or missing", async () => {
    const path = "/enrollments/auth-1?api-version=2021-10-01";
    const se = Math.floor(Date.now() / 1000) + 60;
    const unknown = createSasToken(emu.hostName, "nobody", OWNER_KEY, se);
    expectRawError(
      await raw(emu, path, { authorization: unknown }),
      401,
      401002,
      /policy 'nobody' does not exist/,
    );
    const otherHost = createSasToken("other.azure-devices-provisioning.net", "owner", OWNER_KEY, se);
    expectRawError(
      await raw(emu, path, { authorization: otherHost }),
      401,
      401002,
      /is for 'other.azure-devices-provisioning.net'/,
    );
    expectRawError(
      await raw(emu, path, { authorization: "SharedAccessSignature sr=x" }),
      401,
      401002,
      /Malformed/,
    );
    expectRawError(
      await raw(emu, path, { authorization: "Basic abc" }),
      401,
      401002,
      /Unsupported Authorization scheme/,
    );
    expectRawError(await raw(emu, path, { authorization: null }), 401, 401002, /header is missing/);
  });

  it("401 when the policy lacks the right: EnrollmentRead cannot write, RegistrationStatusRead cannot read enrollments", async () => {
    const reader = clientFor(emu, connectionStringFor(emu, "reader"));
    assert.equal((await reader.getIndividualEnrollment("auth-1")).responseBody.registrationId, "auth-1");
    await expectDpsError(
      putEnrollment(reader, { registrationId: "auth-2", attestation: sym }),
      401,
      401003,
      /policy 'reader' does not have the EnrollmentWrite right/,
    );
    await expectDpsError(reader.deleteIndividualEnrollment("auth-1"), 401, 401003);
    await expectDpsError(runBulk(reader, { mode: "delete", enrollments: [] }), 401, 401003);
    const registrations = clientFor(emu, connectionStringFor(emu, "registrations"));
    await expectDpsError(
      registrations.getIndividualEnrollment("auth-1"),
      401,
      401003,
      /EnrollmentRead right/,
    );
    await expectDpsError(registrations.getIndividualEnrollmentAttestationMechanism("auth-1"), 401, 401003);
    await expectDpsError(registrations.createIndividualEnrollmentQuery({ query: "*" }).next(), 401, 401003);
  });

  it("counts 401 answers in stats", async () => {
    emu.resetStats();
    const wrong = clientFor(emu, connectionStringFor(emu, "owner", Buffer.alloc(32, 4).toString("base64")));
    await expectDpsError(wrong.getIndividualEnrollment("auth-1"), 401, 401002);
    assert.equal(emu.stats().responses["401"], 1);
    assert.equal(emu.stats().operations.get, 1);
  });

  describe("Bearer tokens from the test issuer", () => {
    const saved: Record<string, string | undefined> = {};
    const vars = [
      "IDENTITY_ENDPOINT",
      "IDENTITY_HEADER",
      "AZURE_CLIENT_ID",
      "AZURE_TENANT_ID",
      "AZURE_CLIENT_SECRET",
      "AZURE_FEDERATED_TOKEN_FILE",
      "MSI_ENDPOINT",
      "MSI_SECRET",
      "IDENTITY_SERVER_THUMBPRINT",
      "IMDS_ENDPOINT",
    ];

    before(() => {
      for (const v of vars) {
        saved[v] = process.env[v];
        delete process.env[v];
      }
      process.env.IDENTITY_ENDPOINT = emu.testIssuer?.identityEndpoint;
      process.env.IDENTITY_HEADER = emu.testIssuer?.identityHeader;
    });
    after(() => {
      for (const v of vars) {
        if (saved[v] === undefined) delete process.env[v];
        else process.env[v] = saved[v];
      }
    });

    it("DefaultAzureCredential gets a token from the issuer that the emulator accepts through the official client", async () => {
      const credential = new DefaultAzureCredential();
      const token = await credential.getToken("https://azure-devices-provisioning.net/.default");
      assert.ok(token.token.split(".").length === 3, "a JWT");
      const client = createServiceClient(
        { hostName: emu.hostName, endpoint: emu.endpoint, caCertificate: emu.caCertificate },
        { credential },
      );
      const created = await putEnrollment(client, { registrationId: "bearer-1", attestation: sym });
      assert.equal(created.registrationId, "bearer-1");
      assert.equal(
        (await client.getIndividualEnrollmentAttestationMechanism("bearer-1")).responseBody.type,
        "symmetricKey",
      );
    });

    it('credential: "default" builds DefaultAzureCredential inside createServiceClient', async () => {
      const client = createServiceClient({
        hostName: emu.hostName,
        credential: "default",
        endpoint: emu.endpoint,
        caCertificate: emu.caCertificatePem,
      });
      assert.equal(
        (await client.getIndividualEnrollment("bearer-1")).responseBody.registrationId,
        "bearer-1",
      );
    });

    it("the issuer refuses a wrong X-IDENTITY-HEADER", async () => {
      const url = new URL(String(emu.testIssuer?.identityEndpoint));
      url.searchParams.set("api-version", "2019-08-01");
      url.searchParams.set("resource", "https://azure-devices-provisioning.net");
      const res = await fetch(url, { headers: { "X-IDENTITY-HEADER": "wrong" } });
      assert.equal(res.status, 401);
      const ok = await fetch(url, {
        headers: { "X-IDENTITY-HEADER": String(emu.testIssuer?.identityHeader) },
      });
      const body = (await ok.json()) as Record<string, unknown>;
      assert.deepEqual(Object.keys(body).sort(), [
        "access_token",
        "client_id",
        "expires_on",
        "resource",
        "token_type",
      ]);
      assert.equal(body.token_type, "Bearer");
    });

    it("401 for minted tokens that are expired, for another audience, or signed with another secret", async () => {
      const path = "/enrollments/bearer-1?api-version=2021-10-01";
      const good = await emu.testIssuer?.mintToken();
      assert.equal((await raw(emu, path, { authorization: `Bearer ${good}` })).status, 200);
      const expired = await emu.testIssuer?.mintToken({ expiresInSeconds: -60 });
      expectRawError(
        await raw(emu, path, { authorization: `Bearer ${expired}` }),
        401,
        401002,
        /Bearer token is invalid/,
      );
      const otherAudience = await emu.testIssuer?.mintToken({ audience: "https://management.azure.com" });
      expectRawError(await raw(emu, path, { authorization: `Bearer ${otherAudience}` }), 401, 401002, /aud/);
      const { mintToken } = await import("../../emulator");
      const forged = await mintToken(new Uint8Array(32));
      expectRawError(await raw(emu, path, { authorization: `Bearer ${forged}` }), 401, 401002, /signature/);
    });
  });

  it("refuses Bearer tokens when started without a test issuer", async () => {
    const plain = await start();
    try {
      expectRawError(
        await raw(plain, "/enrollments/x?api-version=2021-10-01", { authorization: "Bearer abc.def.ghi" }),
        401,
        401002,
        /only when the emulator runs with a test issuer/,
      );
    } finally {
      await plain.stop();
    }
  });
});
