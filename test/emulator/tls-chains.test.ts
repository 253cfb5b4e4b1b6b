// What unauthenticated TLS clients can make the emulator hold: the client certificate chain of each
// open connection, cut at MAX_CHAIN_CERTIFICATES + 1 certificates and released when it closes. Raw TLS
// with long chains (180 certificates), as a hostile device would send them with only the ID scope.
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { connect } from "node:tls";
import { MAX_CHAIN_CERTIFICATES, type EmulatorHandle } from "../../emulator";
import { caLadder, longChain, type CaLadder } from "../support/x509";
import { expectRawError, raw, start } from "./helpers";

const LONG = 180;
const HANDSHAKES = 150;

/** Waits until the server has seen every connection close (its 'close' comes after the client's). */
async function released(emu: EmulatorHandle): Promise<void> {
  for (let i = 0; i < 100 && emu.clientChains().connections > 0; i += 1) await sleep(50);
}

describe("emulator: long TLS client chains are bounded per connection and released with it", function () {
  this.timeout(120_000);
  let emu: EmulatorHandle;
  let ladder: CaLadder;
  const register = (id: string): string =>
    `/${emu.idScope}/registrations/${id}/register?api-version=2021-10-01`;

  before(async () => {
    emu = await start();
    ladder = caLadder(LONG - 1);
  });
  after(() => emu?.stop());

  it(`an open connection holds at most ${MAX_CHAIN_CERTIFICATES + 1} certificates of its ${LONG}, none once it closes`, async () => {
    const chain = longChain("long-dev", ladder);
    const socket = connect({
      host: "127.0.0.1",
      port: emu.port,
      ca: emu.caCertificatePem,
      servername: "localhost",
      cert: chain.certificatePem,
      key: chain.privateKeyPem,
    });
    await new Promise<void>((ok, fail) => socket.once("secureConnect", ok).once("error", fail));
    const body = '{"registrationId":"long-dev"}';
    socket.write(
      `PUT ${register("long-dev")} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${body.length}\r\n\r\n${body}`,
    );
    let answer = "";
    await new Promise<void>((ok) =>
      socket.on("data", (d: Buffer) => {
        answer += d.toString();
        if (answer.includes("}")) ok();
      }),
    );
    assert.match(answer, /^HTTP\/1\.1 401/);
    assert.match(answer, new RegExp(`more than ${MAX_CHAIN_CERTIFICATES} certificates`));
    // The connection is still open (keep-alive): its chain is held, cut.
    assert.deepEqual(emu.clientChains(), { connections: 1, certificates: MAX_CHAIN_CERTIFICATES + 1 });
    socket.end();
    await released(emu);
    assert.deepEqual(emu.clientChains(), { connections: 0, certificates: 0 });
  });

  it(`${HANDSHAKES} handshakes with ${LONG}-certificate chains are each refused; nothing is kept after them`, async () => {
    let peak = 0;
    for (let done = 0; done < HANDSHAKES; done += 10) {
      const answers = await Promise.all(
        Array.from({ length: 10 }, (_, i) => {
          const id = `long-${done + i}`;
          return raw(emu, register(id), {
            method: "PUT",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ registrationId: id }),
            authorization: null,
            // A new device certificate each time: a per-leaf store would grow with every one.
            clientCertificate: longChain(id, ladder),
          });
        }),
      );
      for (const res of answers) {
        expectRawError(res, 401, 401002, new RegExp(`more than ${MAX_CHAIN_CERTIFICATES} certificates`));
      }
      const held = emu.clientChains();
      assert.ok(held.certificates <= held.connections * (MAX_CHAIN_CERTIFICATES + 1), JSON.stringify(held));
      peak = Math.max(peak, held.certificates);
    }
    await released(emu);
    // Nothing per leaf or per handshake outlives its connection.
    assert.deepEqual(emu.clientChains(), { connections: 0, certificates: 0 });
    assert.ok(peak <= 10 * (MAX_CHAIN_CERTIFICATES + 1), `peak ${peak}`);
  });
});
