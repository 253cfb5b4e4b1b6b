/**
 * Memory of the emulator under unauthenticated TLS clients presenting long certificate chains (issue
 * 19). Starts `dps-emulator` as its own process, then runs three rounds of 150 handshakes with a
 * 180-certificate chain each, every one with a new device certificate (all answered 401), and prints
 * the emulator's resident memory (`VmRSS`) after each round. Linux only (`/proc`).
 * Run: `npm run build && node dist/bench/tlsChains.js`.
 *
 * @packageDocumentation
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { request } from "node:https";
import * as path from "node:path";
import { createInterface } from "node:readline";
import { caLadder, longChain } from "../test/support/x509";

const ROUNDS = 3;
const HANDSHAKES = 150;
const LENGTH = 180;

function rssMb(pid: number): number {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : 0;
}

async function main(): Promise<void> {
  const cli = path.join(__dirname, "..", "emulator", "cli.js");
  const child = spawn(process.execPath, [cli], { stdio: ["ignore", "pipe", "inherit"] });
  const line = await new Promise<string>((resolve) =>
    createInterface({ input: child.stdout }).once("line", resolve),
  );
  const info = JSON.parse(line) as {
    endpoint: string;
    idScope: string;
    caCertificatePem?: string;
    caCertificate: string;
  };
  const port = Number(new URL(info.endpoint).port);
  const ca = readFileSync(info.caCertificate, "utf8");
  const ladder = caLadder(LENGTH - 1);
  // A new device certificate for every handshake, as an attacker would send them.
  const put = (id: string): Promise<number> =>
    new Promise((resolve, reject) => {
      const chain = longChain(id, ladder);
      const req = request(
        {
          host: "127.0.0.1",
          port,
          method: "PUT",
          path: `/${info.idScope}/registrations/${id}/register?api-version=2021-10-01`,
          ca,
          cert: chain.certificatePem,
          key: chain.privateKeyPem,
          agent: false,
        },
        (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode ?? 0));
        },
      );
      req.on("error", reject);
      req.end();
    });
  try {
    await put("warm-up");
    const rows = [`start: ${rssMb(child.pid as number).toFixed(1)} MB`];
    for (let round = 1; round <= ROUNDS; round += 1) {
      for (let i = 0; i < HANDSHAKES; i += 10) {
        const statuses = await Promise.all(Array.from({ length: 10 }, (_, k) => put(`long-${i + k}`)));
        if (statuses.some((s) => s !== 401)) throw new Error(`expected 401s, got ${statuses.join(",")}`);
      }
      rows.push(`after ${round * HANDSHAKES}: ${rssMb(child.pid as number).toFixed(1)} MB`);
    }
    console.log(`emulator VmRSS, handshakes with ${LENGTH}-certificate chains: ${rows.join("; ")}`);
  } finally {
    child.kill("SIGTERM");
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
