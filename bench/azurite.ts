/**
 * The `azblob://` state backend Azure teams share stacks through, on this machine: Azurite's blob
 * service (Microsoft's Azure Storage emulator) in a child process on a free loopback port, its store
 * in a temporary directory, one container for the state. The Pulumi CLI opens the URL with
 * gocloud.dev's `azureblob` opener: `domain` (a `127.0.0.1` domain puts the account in the path, as
 * Azurite wants), `protocol=http`, `localemu=true`, and the shared key from the environment.
 *
 * @packageDocumentation
 */
import { spawn, type ChildProcess } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { BlobServiceClient, StorageSharedKeyCredential } from "@azure/storage-blob";

/** Azurite's well-known account name. */
export const AZURITE_ACCOUNT = "devstoreaccount1";

/** Azurite's well-known account key (public, documented by Microsoft; not a secret). */
export const AZURITE_KEY =
  "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/**
 * The `azblob://` backend URL of `container` on a blob service at `hostPort` (`127.0.0.1:PORT`,
 * Azurite or a proxy in front of it).
 */
export function azblobUrl(container: string, hostPort: string): string {
  return `azblob://${container}?domain=${hostPort}&protocol=http&localemu=true`;
}

/** A running Azurite blob service with a state container. */
export interface AzuriteBackend {
  /** The backend URL for `pulumi login` / `PULUMI_BACKEND_URL`. */
  url: string;
  /** What the CLI needs besides the URL: the account and its shared key. */
  env: Record<string, string>;
  /** The blob service endpoint, `http://127.0.0.1:PORT/devstoreaccount1`. */
  endpoint: string;
  /** The state container. */
  container: string;
  /** Azurite's `127.0.0.1:PORT`. */
  hostPort: string;
  /** Bytes Azurite holds on disk now (old checkpoints stay until its garbage collection runs). */
  storeBytes(): number;
  /** Ends Azurite and deletes its store. */
  stop(): Promise<void>;
}

/** How long Azurite may take to listen. */
const START_TIMEOUT_MS = 30_000;

/**
 * Starts Azurite's blob service and creates `container` in it.
 *
 * @param container the container the state goes in
 * @throws when Azurite does not listen within 30 s or the container cannot be created
 */
export async function startAzuriteBackend(container = "pulumi-state"): Promise<AzuriteBackend> {
  const location = fs.mkdtempSync(path.join(os.tmpdir(), "bench-azurite-"));
  const main = path.join(
    path.dirname(require.resolve("azurite/package.json")),
    "dist",
    "src",
    "blob",
    "main.js",
  );
  const child = spawn(
    process.execPath,
    [
      main,
      ["--blobHost", "127.0.0.1"],
      ["--blobPort", "0"],
      ["--location", location],
      // The Azure SDK in the CLI may speak a newer API version than this Azurite knows.
      "--skipApiVersionCheck",
      "--loose",
      "--silent",
      "--disableTelemetry",
    ].flat(),
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  const stop = () => stopChild(child).finally(() => fs.rmSync(location, { recursive: true, force: true }));
  try {
    const port = await listeningPort(child);
    const endpoint = `http://127.0.0.1:${port}/${AZURITE_ACCOUNT}`;
    const service = new BlobServiceClient(
      endpoint,
      new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY),
    );
    await service.getContainerClient(container).create();
    return {
      url: azblobUrl(container, `127.0.0.1:${port}`),
      env: { AZURE_STORAGE_ACCOUNT: AZURITE_ACCOUNT, AZURE_STORAGE_KEY: AZURITE_KEY },
      endpoint,
      container,
      hostPort: `127.0.0.1:${port}`,
      storeBytes: () => directoryBytes(location),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The port from Azurite's "successfully listens on http://127.0.0.1:PORT" line. */
function listeningPort(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    const timer = setTimeout(
      () => fail(new Error(`Azurite did not listen within ${START_TIMEOUT_MS} ms`)),
      START_TIMEOUT_MS,
    );
    const fail = (e: Error) => {
      clearTimeout(timer);
      reject(new Error(`${e.message}\n${out}${err}`));
    };
    child.stderr?.on("data", (chunk: Buffer) => (err += chunk.toString()));
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const m = /listens on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        child.stdout?.removeAllListeners("data");
        child.stdout?.resume(); // keep draining so Azurite never blocks on a full pipe
        resolve(Number(m[1]));
      }
    });
    child.once("error", fail);
    child.once("exit", (code, signal) =>
      fail(new Error(`Azurite exited (${code ?? signal}) before listening`)),
    );
  });
}

/** SIGTERM (Azurite closes its server), SIGKILL after 5 s; resolves when the process is gone. */
function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill("SIGKILL"), 5_000);
    child.once("exit", () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

function directoryBytes(dir: string): number {
  let total = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += fs.statSync(path.join(entry.parentPath, entry.name)).size;
  }
  return total;
}
