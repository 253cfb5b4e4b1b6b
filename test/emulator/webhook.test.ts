// Custom allocation webhooks that answer hostile things: nesting bombs, twins over the limits, answers
// over the size cap, a byte every few hundred milliseconds. Each fails its own registration (devices
// register with Microsoft's device SDK) and nothing else, with and without --state, across a restart.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { IndividualEnrollment } from "azure-iot-provisioning-service/dist/interfaces";
import type { EmulatorHandle } from "../../emulator";
import { MAX_WEBHOOK_ANSWER_BYTES, WEBHOOK_TIMEOUT_MS } from "../../emulator/device/webhook";
import { createTlsMaterial } from "../../emulator/tls";
import { deviceSas } from "../support/csr";
import { registerDevice } from "../support/devices";
import { KEY_A, KEY_B, clientFor, raw, start } from "./helpers";

const HUBS = ["hub1.azure-devices.net", "hub2.azure-devices.net"];

/** `{"k": ... {"k": 1}}` with `levels` objects. */
function nested(levels: number): object {
  let value: unknown = 1;
  for (let i = 0; i < levels; i++) value = { k: value };
  return value as object;
}

/** What the webhook answers for each registration id (raw text, so it can be what JSON.stringify cannot make). */
const ANSWERS: Record<string, () => string> = {
  "hook-good": () =>
    JSON.stringify({
      iotHubHostName: HUBS[1],
      initialTwin: { tags: { a: 1 } },
      payload: { hello: "device" },
    }),
  // 12,000 levels of arrays: what made reads and saves overflow the stack.
  "hook-deep": () => `{"iotHubHostName":"${HUBS[0]}","payload":${"[".repeat(12_000)}${"]".repeat(12_000)}}`,
  "hook-deep-twin": () => JSON.stringify({ iotHubHostName: HUBS[0], initialTwin: { tags: nested(12) } }),
  "hook-big-twin": () =>
    JSON.stringify({
      iotHubHostName: HUBS[0],
      initialTwin: { properties: { desired: { blob: "x".repeat(40_000) } } },
    }),
  "hook-huge": () => JSON.stringify({ iotHubHostName: HUBS[0], pad: "x".repeat(100_000) }),
  "hook-string-payload": () => JSON.stringify({ iotHubHostName: HUBS[0], payload: "not an object" }),
};

/** Failure messages each hostile answer must produce (in the registration state's errorMessage). */
const FAILURES: Record<string, RegExp> = {
  "hook-deep": /nests objects or arrays deeper than 32 levels/,
  "hook-deep-twin": /'initialTwin\.tags' nests 11 levels; the maximum depth of a twin collection is 10/,
  "hook-big-twin": /'initialTwin\.properties\.desired' is \d+ bytes; the maximum size .* is 32768 bytes/,
  "hook-huge": new RegExp(`exceeds ${MAX_WEBHOOK_ANSWER_BYTES} bytes`),
  "hook-string-payload": /'payload' must be a JSON object/,
};

type Failure = Error & { result?: { registrationState?: { errorCode?: number; errorMessage?: string } } };

describe("emulator: custom allocation webhook answers are bounded", function () {
  this.timeout(120_000);
  let webhook: Server;
  let webhookCa: string;
  let url: string;
  const dribbles = new Set<NodeJS.Timeout>();

  before(async () => {
    const tls = await createTlsMaterial();
    webhookCa = tls.caCertificatePem;
    webhook = createServer({ key: tls.privateKeyPem, cert: tls.certificatePem }, (req, res) => {
      let text = "";
      req.on("data", (c: Buffer) => (text += c.toString()));
      req.on("end", () => {
        const id = (JSON.parse(text) as { deviceRuntimeContext: { registrationId: string } })
          .deviceRuntimeContext.registrationId;
        res.writeHead(200, { "content-type": "application/json" });
        if (id === "hook-dribble") {
          // A byte every 300 ms, for ever: never idle, never done.
          res.write("{");
          const timer = setInterval(() => res.write(" "), 300);
          dribbles.add(timer);
          res.on("close", () => clearInterval(timer));
          return;
        }
        res.end(ANSWERS[id]());
      });
    });
    await new Promise<void>((ok) => webhook.listen(0, "127.0.0.1", ok));
    url = `https://127.0.0.1:${(webhook.address() as AddressInfo).port}/api/allocate`;
  });
  after(async () => {
    dribbles.forEach((t) => clearInterval(t));
    webhook.closeAllConnections();
    await new Promise<void>((done) => webhook.close(() => done()));
  });

  async function enroll(emu: EmulatorHandle, ids: readonly string[]): Promise<void> {
    for (const registrationId of ids) {
      await clientFor(emu).createOrUpdateIndividualEnrollment({
        registrationId,
        attestation: { type: "symmetricKey", symmetricKey: { primaryKey: KEY_A, secondaryKey: KEY_B } },
        allocationPolicy: "custom",
        customAllocationDefinition: { webhookUrl: url, apiVersion: "2021-10-01" },
      } as IndividualEnrollment);
    }
  }

  /** Registers `id` with the device SDK, expecting the registration to fail; returns its errorMessage. */
  async function failedRegistration(emu: EmulatorHandle, id: string): Promise<string> {
    let message = "";
    await assert.rejects(registerDevice(emu, id, { symmetricKey: KEY_A }), (err: Failure) => {
      assert.equal(err.name, "ProvisioningRegistrationFailedError", err.message);
      assert.equal(err.result?.registrationState?.errorCode, 400209);
      message = String(err.result?.registrationState?.errorMessage);
      return true;
    });
    return message;
  }

  /** The device's own status lookup (POST /{idScope}/registrations/{id}) answers, with `status`. */
  async function deviceLookup(emu: EmulatorHandle, id: string, status: string): Promise<void> {
    const res = await raw(emu, `/${emu.idScope}/registrations/${id}?api-version=2021-10-01`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ registrationId: id }),
      authorization: deviceSas(emu, id, KEY_A),
    });
    assert.equal(res.status, 200, res.text);
    assert.equal((res.json() as { status: string }).status, status);
  }

  /** Everything still works for everyone: reads of every state, the good device, an unrelated write. */
  async function everythingWorks(emu: EmulatorHandle, hostile: readonly string[]): Promise<void> {
    const client = clientFor(emu);
    for (const id of hostile) {
      const state = (await client.getDeviceRegistrationState(id)).responseBody;
      assert.equal(state.status, "failed", id);
      assert.match(String(state.errorMessage), FAILURES[id], id);
      await deviceLookup(emu, id, "failed");
    }
    const good = await registerDevice(emu, "hook-good", { symmetricKey: KEY_A });
    assert.equal(good.assignedHub, HUBS[1]);
    assert.deepEqual(good.payload, { hello: "device" });
    await deviceLookup(emu, "hook-good", "assigned");
    const unrelated = `unrelated-${Date.now()}`;
    await client.createOrUpdateIndividualEnrollment({
      registrationId: unrelated,
      attestation: { type: "symmetricKey", symmetricKey: {} },
    } as IndividualEnrollment);
    assert.equal((await client.getIndividualEnrollment(unrelated)).responseBody.registrationId, unrelated);
  }

  const hostile = Object.keys(FAILURES);

  it("a deeply nested, oversized or malformed answer fails that one registration and nothing else", async () => {
    const emu = await start({ linkedHubs: HUBS, webhookCas: [webhookCa] });
    try {
      await enroll(emu, [...hostile, "hook-good"]);
      for (const id of hostile) assert.match(await failedRegistration(emu, id), FAILURES[id], id);
      await everythingWorks(emu, hostile);
    } finally {
      await emu.stop();
    }
  });

  it("with --state: every later write is saved, and a restart reads everything back", async () => {
    const dir = await mkdtemp(join(tmpdir(), "dps-webhook-"));
    const stateFile = join(dir, "state.json");
    try {
      const first = await start({ stateFile, linkedHubs: HUBS, webhookCas: [webhookCa] });
      try {
        await enroll(first, [...hostile, "hook-good"]);
        for (const id of hostile) await failedRegistration(first, id);
        await everythingWorks(first, hostile);
      } finally {
        await first.stop();
      }
      const saved = JSON.parse(await readFile(stateFile, "utf8")) as {
        enrollments: { registrationId: string }[];
      };
      assert.ok(saved.enrollments.some((e) => e.registrationId.startsWith("unrelated-")));
      const second = await start({ stateFile, linkedHubs: HUBS, webhookCas: [webhookCa] });
      try {
        await everythingWorks(second, hostile);
      } finally {
        await second.stop();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it(`a webhook dribbling its answer ends the registration within the deadline (${WEBHOOK_TIMEOUT_MS} ms)`, async () => {
    const emu = await start({ linkedHubs: HUBS, webhookCas: [webhookCa] });
    try {
      await enroll(emu, ["hook-dribble"]);
      const t = Date.now();
      const message = await failedRegistration(emu, "hook-dribble");
      const elapsed = Date.now() - t;
      assert.match(message, new RegExp(`did not complete its answer within ${WEBHOOK_TIMEOUT_MS} ms`));
      // The deadline, plus the device SDK's polling interval (2 s) and slack for a loaded machine.
      assert.ok(elapsed < WEBHOOK_TIMEOUT_MS + 5_000, `ended after ${elapsed} ms`);
    } finally {
      await emu.stop();
    }
  });
});
