import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { isAbsolute, join } from "node:path";
import { createInterface } from "node:readline";
import { startEmulator } from "../../emulator";
import { createServiceClient } from "../../provider/core/transport";
import { KEY_A, KEY_B, clientFor, putEnrollment } from "./helpers";

describe("emulator: persistence across restarts", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "dps-emu-test-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("keeps enrollments, keys, registration states, the policy key and the CA path", async () => {
    const state = join(dir, "state.json");
    const first = await startEmulator({ stateFile: state });
    const created = await putEnrollment(clientFor(first), {
      registrationId: "persist-1",
      attestation: { type: "symmetricKey", symmetricKey: { primaryKey: KEY_A, secondaryKey: KEY_B } },
    });
    first.setRegistrationState("persist-1");
    await first.stop();
    assert.ok(existsSync(state));
    assert.deepEqual(readdirSync(dir).sort(), ["state.json", "state.json.ca.pem"], "no temp files left");

    const second = await startEmulator({ stateFile: state });
    try {
      assert.equal(second.connectionString, first.connectionString);
      assert.equal(second.caCertificate, first.caCertificate);
      const client = clientFor(second);
      const got = (await client.getIndividualEnrollment("persist-1")).responseBody;
      assert.equal(got.etag, created.etag);
      assert.equal(got.createdDateTimeUtc, created.createdDateTimeUtc);
      assert.equal(got.registrationState.status, "assigned");
      const mech = (await client.getIndividualEnrollmentAttestationMechanism("persist-1")).responseBody;
      assert.deepEqual(mech.symmetricKey, { primaryKey: KEY_A, secondaryKey: KEY_B });
      await client.deleteIndividualEnrollment("persist-1");
    } finally {
      await second.stop();
    }
    const saved = JSON.parse(readFileSync(state, "utf8")) as { enrollments: unknown[] };
    assert.deepEqual(saved.enrollments, [], "a delete is flushed on stop");
  });

  it("refuses to start on a file that is not a state file rather than overwrite it", async () => {
    const bad = join(dir, "bad.json");
    writeFileSync(bad, JSON.stringify({ hello: "world" }));
    await assert.rejects(startEmulator({ stateFile: bad }), /is not a DPS emulator state file/);
  });
});

describe("emulator: command line", () => {
  const cli = join(__dirname, "../../emulator/cli.js");

  it("prints exactly one JSON line with exactly the documented keys, serves, and exits 0 on SIGTERM", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dps-emu-cli-"));
    const child = spawn(
      process.execPath,
      [
        cli,
        "--port",
        "0",
        "--state",
        join(dir, "s.json"),
        "--linked-hub",
        "a.azure-devices.net",
        "--linked-hub",
        "b.azure-devices.net",
        "--ops-per-minute",
        "600",
        "--test-issuer",
        "--fault-500",
        "0",
        "--id-scope",
        "0ne00C0FFEE",
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    try {
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
      child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
      const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
      const firstLine = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout }).once("line", resolve);
        child.once("exit", () => reject(new Error(`exited early: ${stderr}`)));
      });
      const ready = JSON.parse(firstLine) as Record<string, unknown>;
      assert.deepEqual(Object.keys(ready), [
        "endpoint",
        "hostName",
        "connectionString",
        "caCertificate",
        "linkedHubs",
        "adminToken",
        "idScope",
      ]);
      assert.match(String(ready.adminToken), /^[A-Za-z0-9_-]{43}$/);
      assert.equal(ready.idScope, "0ne00C0FFEE");
      assert.match(String(ready.endpoint), /^https:\/\/127\.0\.0\.1:\d+$/);
      assert.equal(ready.hostName, "emulator.azure-devices-provisioning.net");
      assert.match(
        String(ready.connectionString),
        /^HostName=emulator\.azure-devices-provisioning\.net;SharedAccessKeyName=provisioningserviceowner;SharedAccessKey=[A-Za-z0-9+/=]+$/,
      );
      assert.ok(isAbsolute(String(ready.caCertificate)) && existsSync(String(ready.caCertificate)));
      assert.deepEqual(ready.linkedHubs, ["a.azure-devices.net", "b.azure-devices.net"]);

      const client = createServiceClient({
        connectionString: String(ready.connectionString),
        endpoint: String(ready.endpoint),
        caCertificate: String(ready.caCertificate),
      });
      const created = await putEnrollment(client, {
        registrationId: "cli-1",
        attestation: { type: "symmetricKey" },
        allocationPolicy: "static",
        iotHubs: ["b.azure-devices.net"],
      });
      assert.equal(created.registrationId, "cli-1");

      await new Promise((r) => setTimeout(r, 50));
      const issuerLine = JSON.parse(stderr.split("\n")[0]) as { testIssuer: Record<string, string> };
      assert.match(issuerLine.testIssuer.identityEndpoint, /^http:\/\/127\.0\.0\.1:\d+\//);
      assert.ok(issuerLine.testIssuer.identityHeader);

      child.kill("SIGTERM");
      assert.equal(await exited, 0);
      assert.equal(stdout.split("\n").filter((l) => l !== "").length, 1, "exactly one line on stdout");
      assert.ok(stdout.endsWith("\n"));
      const saved = JSON.parse(readFileSync(join(dir, "s.json"), "utf8")) as {
        enrollments: Array<{ registrationId: string }>;
      };
      assert.deepEqual(
        saved.enrollments.map((e) => e.registrationId),
        ["cli-1"],
      );
    } finally {
      child.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("exits 2 with usage on an unknown flag or a bad number", async () => {
    for (const args of [["--nope"], ["--ops-per-minute", "many"]]) {
      const child = spawn(process.execPath, [cli, ...args], { stdio: ["ignore", "pipe", "pipe"] });
      let stderr = "";
      let stdout = "";
      child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
      child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
      const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
      assert.equal(code, 2);
      assert.equal(stdout, "");
      assert.match(stderr, /Usage: dps-emulator/);
    }
  });
});
