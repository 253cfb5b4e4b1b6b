/**
 * Faulty services on loopback, for the provider's defences: an HTTPS "DPS" answering what a test
 * says (wrong shapes, wrong records), and a TCP server that accepts connections and never answers.
 */
import * as https from "node:https";
import * as net from "node:net";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createTlsMaterial } from "../../emulator/tls";

/** A connection to a fake DPS, as the provider's configuration gives it. */
export interface FakeConnection {
  connectionString: string;
  endpoint: string;
  caCertificate: string;
}

/** A running fake service. */
export interface FakeService {
  /** How the provider reaches it. */
  connection: FakeConnection;
  /** Requests received, as `METHOD path`. */
  requests: string[];
  /** Stops it, dropping open connections. */
  close(): Promise<void>;
}

const HOST = "fake.azure-devices-provisioning.net";
const KEY = Buffer.alloc(32, 7).toString("base64");

function connectionTo(port: number, caCertificate: string): FakeConnection {
  return {
    connectionString: `HostName=${HOST};SharedAccessKeyName=owner;SharedAccessKey=${KEY}`,
    endpoint: `https://127.0.0.1:${port}`,
    caCertificate,
  };
}

function track(server: net.Server): () => Promise<void> {
  const sockets = new Set<net.Socket>();
  server.on("connection", (socket: net.Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  return () =>
    new Promise((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
}

/** An HTTPS DPS whose every answer `answer` writes (after the request body has arrived). */
export async function startFakeDps(
  answer: (req: IncomingMessage, body: string, res: ServerResponse) => void,
): Promise<FakeService> {
  const tls = await createTlsMaterial();
  const requests: string[] = [];
  const server = https.createServer({ key: tls.privateKeyPem, cert: tls.certificatePem }, (req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString()));
    req.on("end", () => {
      requests.push(`${req.method} ${req.url}`);
      answer(req, body, res);
    });
  });
  const close = track(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  return { connection: connectionTo(port, tls.caCertificatePem), requests, close };
}

/** A TCP server on loopback that accepts every connection and never sends a byte. */
export async function startSilentServer(): Promise<FakeService & { accepted: () => number }> {
  const tls = await createTlsMaterial();
  let accepted = 0;
  const server = net.createServer(() => accepted++);
  const close = track(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    connection: connectionTo(port, tls.caCertificatePem),
    requests: [],
    close,
    accepted: () => accepted,
  };
}
