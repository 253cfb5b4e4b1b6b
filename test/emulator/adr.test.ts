// Service API 2026-11-01 next to 2021-10-01: the ADR certificate policy fields of enrollments and
// groups, and certificate issuance to devices that register with a CSR (raw HTTPS: the official
// clients speak 2021-10-01 only; the official service client shows what a 2021-10-01 caller sees).
import assert from "node:assert/strict";
import { createHmac, X509Certificate } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer, get as httpsGet } from "node:https";
import { createInterface } from "node:readline";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { ProvisioningServiceClient } from "azure-iot-provisioning-service";
import type { IndividualEnrollment } from "azure-iot-provisioning-service/dist/interfaces";
import { startEmulator, type EmulatorHandle } from "../../emulator";
import { parseCli } from "../../emulator/cli";
import { createTlsMaterial } from "../../emulator/tls";
import { ecCsr, forgeRsaCsr, registerRaw, deviceSas, type DeviceCsr } from "../support/csr";
import { KEY_A, KEY_B, adminAuth, clientFor, expectRawError, raw, start, type RawResponse } from "./helpers";

const NEW = "2026-11-01";
const OLD = "2021-10-01";
const POLICY = {
  namespaceName: "fleet-ns",
  certificateAuthorityName: "fleetCa",
  certificatePolicyName: "devices",
};
const POLICY_TEXT = "fleet-ns/fleetCa/devices";
const GROUP_KEY = Buffer.alloc(32, 7).toString("base64");
const SYMMETRIC = { type: "symmetricKey", symmetricKey: { primaryKey: KEY_A, secondaryKey: KEY_B } };

type Body = Record<string, unknown>;

function put(
  emu: EmulatorHandle,
  path: string,
  version: string,
  body: object,
  ifMatch?: string,
): Promise<RawResponse> {
  return raw(emu, `${path}?api-version=${version}`, {
    method: "PUT",
    headers: { "content-type": "application/json", ...(ifMatch ? { "if-match": ifMatch } : {}) },
    body: JSON.stringify(body),
  });
}

async function get(emu: EmulatorHandle, path: string, version: string): Promise<Body> {
  const res = await raw(emu, `${path}?api-version=${version}`);
  assert.equal(res.status, 200, res.text);
  return res.json() as Body;
}

async function query(emu: EmulatorHandle, segment: string, version: string): Promise<Body[]> {
  const res = await raw(emu, `/${segment}/query?api-version=${version}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query: "*" }),
  });
  assert.equal(res.status, 200, res.text);
  return res.json() as Body[];
}

function adrOf(body: Body): Body {
  return {
    namespaceName: body.namespaceName,
    certificateAuthorityName: body.certificateAuthorityName,
    certificatePolicyName: body.certificatePolicyName,
  };
}

/** GET `url` with a Bearer token, trusting the CA PEM at `caFile`; resolves to the 200 body. */
function request(url: string, token: string, caFile: string): Promise<string> {
  return new Promise((resolve, reject) => {
    httpsGet(url, { headers: { authorization: `Bearer ${token}` }, ca: readFileSync(caFile) }, (res) => {
      let text = "";
      res.on("data", (c: Buffer) => (text += c.toString()));
      res.on("end", () =>
        res.statusCode === 200 ? resolve(text) : reject(new Error(`${res.statusCode}: ${text}`)),
      );
    }).on("error", reject);
  });
}

const NONE = {
  namespaceName: undefined,
  certificateAuthorityName: undefined,
  certificatePolicyName: undefined,
};

describe("emulator: api-version 2026-11-01 and ADR certificate policies", function () {
  this.timeout(60_000);
  let emu: EmulatorHandle;
  let client: ProvisioningServiceClient;

  before(async () => {
    emu = await start({ adrPolicies: [POLICY_TEXT] });
    client = clientFor(emu);
  });
  after(() => emu.stop());

  it("the service API accepts 2021-10-01 and 2026-11-01 and refuses other versions as before", async () => {
    for (const version of [OLD, NEW]) assert.ok(Array.isArray(await query(emu, "enrollments", version)));
    for (const version of ["2026-04-01", "2025-07-01-preview"]) {
      const res = await raw(emu, `/enrollments/query?api-version=${version}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ query: "*" }),
      });
      expectRawError(
        res,
        400,
        400001,
        new RegExp(`'${version}' is not supported; use 2021-10-01 or 2026-11-01`),
      );
    }
  });

  it("ADR fields are stored and shown on 2026-11-01 (PUT, GET, query), hidden on 2021-10-01 and from the official client", async () => {
    const created = await put(emu, "/enrollments/adr-1", NEW, {
      registrationId: "adr-1",
      attestation: SYMMETRIC,
      ...POLICY,
    });
    assert.equal(created.status, 200, created.text);
    assert.deepEqual(adrOf(created.json() as Body), POLICY);
    assert.deepEqual(adrOf(await get(emu, "/enrollments/adr-1", NEW)), POLICY);
    assert.deepEqual(adrOf(await get(emu, "/enrollments/adr-1", OLD)), NONE);
    const newPage = await query(emu, "enrollments", NEW);
    assert.deepEqual(adrOf(newPage.find((e) => e.registrationId === "adr-1") as Body), POLICY);
    const oldPage = await query(emu, "enrollments", OLD);
    assert.deepEqual(adrOf(oldPage.find((e) => e.registrationId === "adr-1") as Body), NONE);
    const viaClient = (await client.getIndividualEnrollment("adr-1")).responseBody as unknown as Body;
    assert.deepEqual(adrOf(viaClient), NONE);

    const group = await put(emu, "/enrollmentGroups/adr-group", NEW, {
      enrollmentGroupId: "adr-group",
      attestation: SYMMETRIC,
      ...POLICY,
    });
    assert.equal(group.status, 200, group.text);
    assert.deepEqual(adrOf(group.json() as Body), POLICY);
    assert.deepEqual(adrOf(await get(emu, "/enrollmentGroups/adr-group", NEW)), POLICY);
    assert.deepEqual(adrOf(await get(emu, "/enrollmentGroups/adr-group", OLD)), NONE);
    const groups = await query(emu, "enrollmentGroups", NEW);
    assert.deepEqual(adrOf(groups.find((g) => g.enrollmentGroupId === "adr-group") as Body), POLICY);
  });

  it("refuses some but not all three ADR fields, and names breaking the spec's patterns (PUT and bulk)", async () => {
    const partial = await put(emu, "/enrollments/adr-partial", NEW, {
      registrationId: "adr-partial",
      attestation: SYMMETRIC,
      namespaceName: POLICY.namespaceName,
      certificateAuthorityName: POLICY.certificateAuthorityName,
    });
    expectRawError(partial, 400, 400004, /give all three or none \(missing: 'certificatePolicyName'\)/);
    const upper = await put(emu, "/enrollmentGroups/adr-bad", NEW, {
      enrollmentGroupId: "adr-bad",
      attestation: SYMMETRIC,
      ...POLICY,
      namespaceName: "Fleet_NS",
    });
    expectRawError(upper, 400, 400004, /'namespaceName' \('Fleet_NS'\) is invalid: use 3 to 64 lowercase/);
    const short = await put(emu, "/enrollments/adr-short", NEW, {
      registrationId: "adr-short",
      attestation: SYMMETRIC,
      ...POLICY,
      certificatePolicyName: "p",
    });
    expectRawError(short, 400, 400004, /'certificatePolicyName' \('p'\) is invalid/);
    assert.equal((await raw(emu, `/enrollments/adr-partial?api-version=${NEW}`)).status, 404);

    const bulk = await raw(emu, `/enrollments?api-version=${NEW}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        mode: "create",
        enrollments: [
          { registrationId: "adr-bulk-ok", attestation: SYMMETRIC, ...POLICY },
          { registrationId: "adr-bulk-bad", attestation: SYMMETRIC, certificatePolicyName: "devices" },
        ],
      }),
    });
    assert.equal(bulk.status, 200, bulk.text);
    const result = bulk.json() as { isSuccessful: boolean; errors: Body[] };
    assert.equal(result.isSuccessful, false);
    assert.deepEqual(
      result.errors.map((e) => [e.registrationId, e.errorCode]),
      [["adr-bulk-bad", 400004]],
    );
    assert.deepEqual(adrOf(await get(emu, "/enrollments/adr-bulk-ok", NEW)), POLICY);
  });

  it("a 2021-10-01 PUT replaces the record: ADR fields it holds are dropped, ADR fields it sends are ignored", async () => {
    await put(emu, "/enrollments/adr-old-put", NEW, {
      registrationId: "adr-old-put",
      attestation: SYMMETRIC,
      ...POLICY,
    });
    const current = (await client.getIndividualEnrollment("adr-old-put")).responseBody;
    await client.createOrUpdateIndividualEnrollment({
      ...current,
      provisioningStatus: "disabled",
    } as IndividualEnrollment);
    const after = await get(emu, "/enrollments/adr-old-put", NEW);
    assert.equal(after.provisioningStatus, "disabled");
    assert.deepEqual(adrOf(after), NONE);

    const etag = String(after.etag);
    const res = await put(
      emu,
      "/enrollments/adr-old-put",
      OLD,
      { registrationId: "adr-old-put", attestation: SYMMETRIC, ...POLICY },
      etag,
    );
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(adrOf(await get(emu, "/enrollments/adr-old-put", NEW)), NONE);
  });

  it("lists each policy with its own CA certificate (handle and admin route)", async () => {
    assert.equal(emu.adrPolicies.length, 1);
    assert.equal(emu.adrPolicies[0].policy, POLICY_TEXT);
    const ca = new X509Certificate(emu.adrPolicies[0].caCertificatePem);
    assert.ok(ca.ca);
    assert.ok(ca.verify(ca.publicKey), "self-signed");
    const listed = await raw(emu, "/_emulator/adr-policies", { authorization: adminAuth(emu) });
    assert.equal(listed.status, 200, listed.text);
    assert.deepEqual(listed.json(), emu.adrPolicies);
    const two = await startEmulator({ adrPolicies: ["a-ns/ca1/pol1", "a-ns/ca1/pol2"] });
    try {
      const [p1, p2] = two.adrPolicies.map((p) => new X509Certificate(p.caCertificatePem));
      assert.notEqual(p1.fingerprint256, p2.fingerprint256);
      assert.notEqual(p1.fingerprint256, ca.fingerprint256);
    } finally {
      await two.stop();
    }
  });

  it("a malformed --adr-policy fails the start with the flag and the fix; the CLI collects repeated flags", async () => {
    await assert.rejects(
      startEmulator({ adrPolicies: ["fleet-ns/devices"] }),
      /--adr-policy expects NAMESPACE\/CA\/POLICY, got 'fleet-ns\/devices'/,
    );
    await assert.rejects(
      startEmulator({ adrPolicies: ["Fleet/ca1/pol1"] }),
      /'namespaceName' \('Fleet'\) is invalid/,
    );
    const parsed = parseCli(["--adr-policy", "a-ns/ca1/pol1", "--adr-policy", POLICY_TEXT]);
    assert.deepEqual(parsed.adrPolicies, ["a-ns/ca1/pol1", POLICY_TEXT]);
  });

  it("the CLI takes repeated --adr-policy flags, lists them on the admin route, and exits 1 naming a malformed one", async () => {
    const cli = join(__dirname, "../../emulator/cli.js");
    const child = spawn(
      process.execPath,
      [cli, "--adr-policy", POLICY_TEXT, "--adr-policy", "b-ns/ca-2/pol-2"],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    try {
      const line = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout }).once("line", resolve);
        child.once("exit", () => reject(new Error("exited early")));
      });
      const ready = JSON.parse(line) as { endpoint: string; adminToken: string; caCertificate: string };
      const res = await request(
        `${ready.endpoint}/_emulator/adr-policies`,
        ready.adminToken,
        ready.caCertificate,
      );
      assert.deepEqual(
        (JSON.parse(res) as { policy: string }[]).map((p) => p.policy),
        [POLICY_TEXT, "b-ns/ca-2/pol-2"],
      );
    } finally {
      child.kill("SIGTERM");
    }
    const bad = spawn(process.execPath, [cli, "--adr-policy", "only/two"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    bad.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((resolve) => bad.on("exit", resolve));
    assert.equal(code, 1);
    assert.match(stderr, /--adr-policy expects NAMESPACE\/CA\/POLICY, got 'only\/two'/);
  });

  it("ADR fields survive a restart with --state (the state file keeps them as optional fields)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "adr-state-"));
    const stateFile = join(dir, "state.json");
    try {
      const first = await startEmulator({ stateFile });
      await put(first, "/enrollmentGroups/kept", NEW, {
        enrollmentGroupId: "kept",
        attestation: SYMMETRIC,
        ...POLICY,
      });
      await put(first, "/enrollments/plain", NEW, { registrationId: "plain", attestation: SYMMETRIC });
      await first.stop();
      const saved = JSON.parse(await readFile(stateFile, "utf8")) as { enrollments: Body[] };
      assert.deepEqual(adrOf(saved.enrollments.find((e) => e.registrationId === "plain") as Body), NONE);
      const second = await startEmulator({ stateFile });
      try {
        assert.deepEqual(adrOf(await get(second, "/enrollmentGroups/kept", NEW)), POLICY);
        assert.deepEqual(adrOf(await get(second, "/enrollments/plain", NEW)), NONE);
      } finally {
        await second.stop();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  describe("device registration with a CSR (device API 2026-11-01)", () => {
    function verifyIssued(res: RawResponse, registrationId: string, request: DeviceCsr): Body {
      assert.equal(res.status, 200, res.text);
      const answer = res.json() as { status: string; registrationState: Body };
      assert.equal(answer.status, "assigned", res.text);
      const chain = answer.registrationState.issuedCertificateChain as string[];
      assert.equal(chain.length, 2);
      const [leaf, issuer] = chain.map((c) => new X509Certificate(Buffer.from(c, "base64")));
      assert.equal(leaf.subject, `CN=${registrationId}`);
      const keyOf = (k: X509Certificate["publicKey"]): string =>
        k.export({ type: "spki", format: "der" }).toString("base64");
      assert.equal(keyOf(leaf.publicKey), keyOf(request.publicKey));
      assert.ok(leaf.checkIssued(issuer), "the next certificate is the leaf's issuer");
      assert.ok(
        leaf.verify(issuer.publicKey),
        "the leaf's signature verifies with the next certificate's key",
      );
      assert.equal(leaf.ca, false);
      const policyCa = new X509Certificate(emu.adrPolicies[0].caCertificatePem);
      assert.equal(issuer.fingerprint256, policyCa.fingerprint256, "the issuer is the policy's CA");
      return answer.registrationState;
    }

    before(async () => {
      await put(emu, "/enrollments/dev-ec", NEW, {
        registrationId: "dev-ec",
        attestation: SYMMETRIC,
        ...POLICY,
      });
      await put(emu, "/enrollments/dev-plain", NEW, { registrationId: "dev-plain", attestation: SYMMETRIC });
      await put(emu, "/enrollmentGroups/dev-group", NEW, {
        enrollmentGroupId: "dev-group",
        attestation: { type: "symmetricKey", symmetricKey: { primaryKey: GROUP_KEY, secondaryKey: KEY_B } },
        ...POLICY,
      });
      await put(emu, "/enrollments/dev-unknown", NEW, {
        registrationId: "dev-unknown",
        attestation: SYMMETRIC,
        ...POLICY,
        certificatePolicyName: "retired",
      });
    });

    it("an individual enrollment's device with an EC CSR gets a leaf (CN, its key) signed by the policy's CA", async () => {
      const request = ecCsr("dev-ec");
      const state = verifyIssued(
        await registerRaw(emu, "dev-ec", KEY_A, { csr: request.csr }),
        "dev-ec",
        request,
      );
      assert.equal(
        state.assignedHub,
        emu.linkedHubs.find((h) => h === state.assignedHub),
      );
      // The chain is answered once: a status lookup does not carry it, nor accept a CSR.
      const lookup = await raw(emu, `/${emu.idScope}/registrations/dev-ec?api-version=${NEW}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ registrationId: "dev-ec" }),
        authorization: deviceSas(emu, "dev-ec", KEY_A),
      });
      assert.equal(lookup.status, 200, lookup.text);
      assert.equal((lookup.json() as Body).issuedCertificateChain, undefined);
      const withCsr = await raw(emu, `/${emu.idScope}/registrations/dev-ec?api-version=${NEW}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ registrationId: "dev-ec", csr: request.csr }),
        authorization: deviceSas(emu, "dev-ec", KEY_A),
      });
      expectRawError(withCsr, 400, 400008, /'csr' is not allowed when looking up/);
    });

    it("a group member with an RSA CSR made by node-forge gets its certificate under the group's policy", async () => {
      const memberKey = createHmac("sha256", Buffer.from(GROUP_KEY, "base64"))
        .update("member-7")
        .digest("base64");
      const request = forgeRsaCsr("member-7");
      verifyIssued(await registerRaw(emu, "member-7", memberKey, { csr: request.csr }), "member-7", request);
    });

    it("a policy without a CSR registers without a certificate; 2021-10-01 ignores a CSR", async () => {
      const plain = await registerRaw(emu, "dev-ec", KEY_A, {});
      assert.equal(plain.status, 200, plain.text);
      const answer = plain.json() as { status: string; registrationState: Body };
      assert.equal(answer.status, "assigned");
      assert.equal(answer.registrationState.issuedCertificateChain, undefined);
      const old = await registerRaw(emu, "dev-ec", KEY_A, { csr: ecCsr("dev-ec").csr }, OLD);
      assert.equal(old.status, 200, old.text);
      assert.equal(
        (old.json() as { registrationState: Body }).registrationState.issuedCertificateChain,
        undefined,
      );
    });

    it("refuses a CSR without a policy, for another CN, badly signed, not base64 DER or with a weak key (400, errorCode 400008)", async () => {
      const none = await registerRaw(emu, "dev-plain", KEY_A, { csr: ecCsr("dev-plain").csr });
      expectRawError(none, 400, 400008, /the enrollment names no certificate policy: set namespaceName/);
      const other = await registerRaw(emu, "dev-ec", KEY_A, { csr: ecCsr("someone-else").csr });
      expectRawError(
        other,
        400,
        400008,
        /subject CN 'someone-else'; it must be the registration id 'dev-ec'/,
      );
      const tampered = Buffer.from(ecCsr("dev-ec").csr, "base64");
      tampered[tampered.length - 5] ^= 0xff;
      const bad = await registerRaw(emu, "dev-ec", KEY_A, { csr: tampered.toString("base64") });
      expectRawError(bad, 400, 400008, /'csr' is invalid: .*(signature|DER)/);
      const pem = await registerRaw(emu, "dev-ec", KEY_A, { csr: "-----BEGIN CERTIFICATE REQUEST-----" });
      expectRawError(pem, 400, 400008, /not base64/);
      const number = await registerRaw(emu, "dev-ec", KEY_A, { csr: 42 });
      expectRawError(number, 400, 400008, /'csr' must be a base64 DER PKCS#10 request/);
      // A key too weak to certify (the emulator's choice: RSA under 2048 bits, curves other than P-256/384/521).
      const weak = await registerRaw(emu, "dev-ec", KEY_A, { csr: forgeRsaCsr("dev-ec", 512).csr });
      expectRawError(
        weak,
        400,
        400008,
        /'csr' is invalid: its RSA key has 512 bits; at least 2048 are required/,
      );
    });

    it("custom allocation: the webhook sees ADR fields only at its apiVersion 2026-11-01; the device still gets its certificate", async () => {
      const tls = await createTlsMaterial();
      const seen: Body[] = [];
      const webhook = createServer({ key: tls.privateKeyPem, cert: tls.certificatePem }, (req, res) => {
        let text = "";
        req.on("data", (c: Buffer) => (text += c.toString()));
        req.on("end", () => {
          seen.push(JSON.parse(text) as Body);
          res.writeHead(200, { "content-type": "application/json" });
          res.end(JSON.stringify({ iotHubHostName: "hub2.azure-devices.net" }));
        });
      });
      await new Promise<void>((ok) => webhook.listen(0, "127.0.0.1", ok));
      const hookEmu = await start({ adrPolicies: [POLICY_TEXT], webhookCas: [tls.caCertificatePem] });
      try {
        const webhookUrl = `https://127.0.0.1:${(webhook.address() as AddressInfo).port}/allocate`;
        for (const apiVersion of [OLD, NEW]) {
          const id = `hook-${apiVersion}`;
          const created = await put(hookEmu, `/enrollments/${id}`, NEW, {
            registrationId: id,
            attestation: SYMMETRIC,
            allocationPolicy: "custom",
            customAllocationDefinition: { webhookUrl, apiVersion },
            ...POLICY,
          });
          assert.equal(created.status, 200, created.text);
          const res = await registerRaw(hookEmu, id, KEY_A, { csr: ecCsr(id).csr });
          const answer = res.json() as { status: string; registrationState: Body };
          assert.equal(answer.status, "assigned", res.text);
          assert.equal(answer.registrationState.assignedHub, "hub2.azure-devices.net");
          assert.equal((answer.registrationState.issuedCertificateChain as string[]).length, 2);
        }
        const [oldHook, newHook] = seen.map((b) => b.individualEnrollment as Body);
        assert.deepEqual(adrOf(oldHook), NONE);
        assert.deepEqual(adrOf(newHook), POLICY);
      } finally {
        await hookEmu.stop();
        await new Promise<void>((done) => webhook.close(() => done()));
      }
    });

    it("an enrollment naming a policy the emulator does not know: the registration fails at issuance", async () => {
      const res = await registerRaw(emu, "dev-unknown", KEY_A, { csr: ecCsr("dev-unknown").csr });
      assert.equal(res.status, 200, res.text);
      const answer = res.json() as { status: string; registrationState: Body };
      assert.equal(answer.status, "failed");
      assert.equal(answer.registrationState.errorCode, 400210);
      assert.match(
        String(answer.registrationState.errorMessage),
        /'fleet-ns\/fleetCa\/retired' .* does not exist .*--adr-policy/,
      );
      assert.equal(answer.registrationState.issuedCertificateChain, undefined);
    });
  });
});
