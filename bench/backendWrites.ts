/**
 * Bytes the Pulumi CLI writes to its state backend during a run, for the fleet bench:
 *
 * - file backend: the CLI's `write` calls into the backend's folder, logged by `strace` (the CLI,
 *   through gocloud.dev's `fileblob`, writes each object to `<name>.<hex>.tmp`, renames it into
 *   place and writes a small `.attrs` beside it: checkpoints, their `.bak` copies, history, backups,
 *   locks). A watcher on the folder cannot count them: its events arrive after the next write has
 *   already replaced the file;
 * - `azblob://`: a loopback HTTP proxy in front of Azurite counts the request bodies the CLI sends
 *   (`PUT` of blobs and blocks), exactly what goes over the network to the storage account.
 *
 * @packageDocumentation
 */
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { REPO_ROOT } from "../test/support/engine";

/** What a counter has seen since it started (or was reset). */
export interface WriteCount {
  /** Bytes written. */
  bytes: number;
  /** Objects written (files renamed into place, or upload requests). */
  writes: number;
}

/** Counts what the CLI writes to a backend. */
export interface BackendWriteCounter {
  /** Counts so far. */
  count(): WriteCount;
  /** Starts again from zero. */
  reset(): void;
  /** Stops counting and frees what it holds. */
  close(): Promise<void>;
}

/** The CLI under `strace`, see {@link traceFileBackendWrites}. */
export interface FileWriteTracer {
  /** The folder of the traced `pulumi`: an engine that runs another CLI is not traced. */
  binDir: string;
  /** Counts the writes into the file backend at `backendDir` (its `.pulumi/` folder's parent). */
  counter(backendDir: string): BackendWriteCounter;
  /** Takes the traced CLI off PATH and removes its logs. */
  close(): Promise<void>;
}

/** The `pulumi` the bench's engine would run: the pinned build of `scripts/ensure-pulumi`, else PATH's. */
function realPulumi(): string | undefined {
  const tools = path.join(REPO_ROOT, ".tools", "pulumi", "bin", "pulumi");
  if (fs.existsSync(tools)) return tools;
  return onPath("pulumi");
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (dir && fs.existsSync(path.join(dir, name))) return path.join(dir, name);
  }
  return undefined;
}

/**
 * Counts the bytes the CLI writes into a file backend's folder: a `pulumi` first on PATH runs the
 * real CLI under `strace --seccomp-bpf` (only `write` calls stop, the rest runs untraced), which logs
 * each write with the path of its file; a count is the sum of those under a backend's folder.
 * Call it before the process first looks for the CLI (`findPulumi` keeps what it finds); undefined
 * when there is no `strace` on this machine, or no CLI.
 */
export function traceFileBackendWrites(): FileWriteTracer | undefined {
  const strace = onPath("strace");
  const real = realPulumi();
  if (!strace || !real) return undefined;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-pulumi-trace-"));
  const traces = path.join(dir, "traces");
  fs.mkdirSync(path.join(dir, "bin"), { recursive: true });
  fs.mkdirSync(traces);
  fs.writeFileSync(
    path.join(dir, "bin", "pulumi"),
    [
      "#!/bin/sh",
      "# The real Pulumi CLI, its (and its plugins') write calls logged with their files' paths.",
      `exec ${JSON.stringify(strace)} -f -qq -y --seccomp-bpf -e trace=write,pwrite64,writev,pwritev` +
        ` -e signal=none -o ${JSON.stringify(traces)}/trace.$$ ${JSON.stringify(real)} "$@"`,
      "",
    ].join("\n"),
    { mode: 0o755 },
  );
  process.env.PATH = `${path.join(dir, "bin")}${path.delimiter}${process.env.PATH ?? ""}`;
  const count = (root: string): WriteCount => {
    let bytes = 0;
    let writes = 0;
    for (const name of fs.readdirSync(traces)) {
      const counted = writesUnder(fs.readFileSync(path.join(traces, name), "utf8"), root);
      bytes += counted.bytes;
      writes += counted.writes;
    }
    return { bytes, writes };
  };
  const reset = () => {
    for (const name of fs.readdirSync(traces)) fs.rmSync(path.join(traces, name), { force: true });
  };
  return {
    binDir: path.join(dir, "bin"),
    counter: (backendDir) => {
      const root = path.resolve(backendDir) + path.sep;
      return { count: () => count(root), reset, close: () => Promise.resolve() };
    },
    close: () => {
      process.env.PATH = (process.env.PATH ?? "")
        .split(path.delimiter)
        .filter((d) => d !== path.join(dir, "bin"))
        .join(path.delimiter);
      fs.rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    },
  };
}

/**
 * Bytes written to files under `root` in an `strace -f -y` log, and the files written (a file
 * written in several calls counts once per open). A call another thread interrupted is logged as
 * `<unfinished ...>` with its path, then `<... write resumed>) = N` with the same pid.
 *
 * @param log the log's text
 * @param root a folder, ending with the path separator
 */
export function writesUnder(log: string, root: string): WriteCount {
  let bytes = 0;
  const files = new Set<string>();
  const pending = new Map<string, string>();
  for (const line of log.split("\n")) {
    // strace pads the pid to a width: `6804  write(...)`, `12345 write(...)`.
    const head = /^(\d+)\s+(.*)$/.exec(line);
    if (!head) continue;
    const [, pid, rest] = head;
    const call = /^(?:write|pwrite64|writev|pwritev)\(\d+<([^>]*)>/.exec(rest);
    let file: string | undefined;
    if (call && rest.endsWith("<unfinished ...>")) {
      pending.set(pid, call[1]);
      continue;
    } else if (call) file = call[1];
    else if (/^<\.\.\. (?:write|pwrite64|writev|pwritev) resumed>/.test(rest)) {
      file = pending.get(pid);
      pending.delete(pid);
    } else continue;
    const result = /\) = (\d+)$/.exec(rest);
    if (file === undefined || !file.startsWith(root) || !result) continue;
    bytes += Number(result[1]);
    // A file written in several calls is one object; the temporary name is unique per write.
    files.add(file);
  }
  return { bytes, writes: files.size };
}

/** A counting proxy in front of a blob service. */
export interface CountingProxy extends BackendWriteCounter {
  /** `127.0.0.1:PORT` of the proxy, for the `azblob://` URL's `domain`. */
  hostPort: string;
}

/**
 * Starts a loopback HTTP proxy to `target` (`http://127.0.0.1:PORT`) that counts the body bytes of
 * every `PUT` request (Put Blob, Put Block, Put Block List): what the CLI uploads.
 *
 * @param target the blob service's origin
 */
export async function startCountingProxy(target: string): Promise<CountingProxy> {
  const to = new URL(target);
  let bytes = 0;
  let writes = 0;
  const server = http.createServer((req, res) => {
    const upstream = http.request(
      {
        host: to.hostname,
        port: to.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", (err) => {
      if (!res.headersSent) res.writeHead(502);
      res.end(String(err));
    });
    if (req.method === "PUT") {
      writes += 1;
      req.on("data", (chunk: Buffer) => (bytes += chunk.length));
    }
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    hostPort: `127.0.0.1:${port}`,
    count: () => ({ bytes, writes }),
    reset: () => {
      bytes = 0;
      writes = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
