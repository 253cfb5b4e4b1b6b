import assert from "node:assert/strict";
import type { EmulatorHandle } from "../../emulator";
import { agentFor, createServiceClient } from "../../provider/core/transport";
import { putEnrollment, start } from "./helpers";

describe("transport: createServiceClient", () => {
  let emu: EmulatorHandle;
  before(async () => {
    emu = await start();
  });
  after(() => emu.stop());

  it("reuses one cached keep-alive agent per (endpoint, CA), whether the CA is PEM text or a path", async () => {
    const a = agentFor(emu.endpoint, emu.caCertificate);
    const b = agentFor(emu.endpoint, emu.caCertificatePem);
    assert.equal(a, b);
    assert.equal((a as unknown as { keepAlive: boolean }).keepAlive, true);
    assert.equal((a as unknown as { defaultPort: number }).defaultPort, emu.port);
    assert.notEqual(agentFor(emu.endpoint), a);
  });

  it("sends many calls over one pooled connection to the endpoint while signing for the host name", async () => {
    const connection = {
      connectionString: emu.connectionString,
      endpoint: emu.endpoint,
      caCertificate: emu.caCertificate,
    };
    const client = createServiceClient(connection);
    await putEnrollment(client, { registrationId: "t-1", attestation: { type: "symmetricKey" } });
    for (let i = 0; i < 5; i++) await createServiceClient(connection).getIndividualEnrollment("t-1");
    const agent = agentFor(emu.endpoint, emu.caCertificate);
    const free = Object.values(agent.freeSockets).flat();
    assert.equal(free.length, 1, "one idle keep-alive socket");
    assert.equal(Object.keys(agent.freeSockets)[0].startsWith(`${emu.hostName}:${emu.port}:`), true);
    assert.equal(free[0]?.remotePort, emu.port);
  });

  it("closes an idle pooled connection before the server's keep-alive timeout, so none is reused as it closes", async function () {
    this.timeout(15_000);
    const client = createServiceClient({
      connectionString: emu.connectionString,
      endpoint: emu.endpoint,
      caCertificate: emu.caCertificate,
    });
    const agent = agentFor(emu.endpoint, emu.caCertificate);
    const res = await client.getIndividualEnrollment("t-1");
    // The emulator (a Node server) announces its keep-alive timeout; the agent closes a second earlier.
    const hint = /timeout=(\d+)/.exec(String(res.httpResponse.headers["keep-alive"]))?.[1];
    assert.ok(hint, "the emulator announces Keep-Alive: timeout=N");
    const [socket] = Object.values(agent.freeSockets).flat();
    assert.ok(socket, "one idle keep-alive socket");
    const closed = new Promise<number>((ok) => socket.once("close", () => ok(Date.now())));
    const idleSince = Date.now();
    const closedAt = await closed;
    assert.ok(
      closedAt - idleSince < Number(hint) * 1000 - 500,
      `closed after ${closedAt - idleSince} ms of ${hint} s: by the server, not the agent`,
    );
    assert.equal(Object.values(agent.freeSockets).flat().length, 0);
    assert.equal((await client.getIndividualEnrollment("t-1")).responseBody.registrationId, "t-1");
  });

  it("reaches the endpoint by DNS name too (SNI and certificate name localhost)", async () => {
    const client = createServiceClient({
      connectionString: emu.connectionString,
      endpoint: `https://localhost:${emu.port}`,
      caCertificate: emu.caCertificatePem,
    });
    assert.equal((await client.getIndividualEnrollment("t-1")).responseBody.registrationId, "t-1");
  });

  it("refuses the emulator's certificate when its CA is not given", async () => {
    const client = createServiceClient({ connectionString: emu.connectionString, endpoint: emu.endpoint });
    await assert.rejects(
      client.getIndividualEnrollment("t-1"),
      /self[- ]signed|unable to verify|UNABLE_TO_VERIFY/i,
    );
  });

  it("needs a connection string or a host name with a credential", () => {
    assert.throws(() => createServiceClient({}), /needs a connectionString, or a hostName with a credential/);
    assert.throws(() => createServiceClient({ credential: "default" }), /hostName is required/);
  });
});
