/**
 * The emulator in a process of its own (`dist/emulator/cli.js`), driven through its control API, for
 * the fleet curve: a program of thousands of resources runs inline in the bench's process, and its
 * garbage collections (gigabytes at N = 10,000) would otherwise stall the emulator's answers and its
 * token bucket, which a real DPS would not feel.
 *
 * @packageDocumentation
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { request } from "node:https";
import * as path from "node:path";
import { createInterface } from "node:readline";
import type { RuntimeSettings } from "../emulator";
import type { EmulatorStats } from "../emulator/stats";

/** What the CLI prints on its one line of stdout. */
interface CliHello {
  endpoint: string;
  hostName: string;
  connectionString: string;
  caCertificate: string;
  adminToken: string;
}

/** A running `dps-emulator` process. */
export class RemoteEmulator {
  private constructor(
    private readonly child: ChildProcess,
    private readonly hello: CliHello,
  ) {}

  /** Starts `dps-emulator` (of this build) with `args`, and waits for its address. */
  static async start(args: string[] = []): Promise<RemoteEmulator> {
    const cli = path.join(__dirname, "..", "emulator", "cli.js");
    const child = spawn(process.execPath, [cli, ...args], { stdio: ["ignore", "pipe", "inherit"] });
    const line = await new Promise<string>((resolve, reject) => {
      const lines = createInterface({ input: child.stdout! });
      lines.once("line", (l) => {
        lines.close();
        resolve(l);
      });
      child.once("exit", (code) => reject(new Error(`dps-emulator exited with ${code} before starting`)));
    });
    return new RemoteEmulator(child, JSON.parse(line) as CliHello);
  }

  /** `https://127.0.0.1:PORT`. */
  get endpoint(): string {
    return this.hello.endpoint;
  }
  /** The service connection string. */
  get connectionString(): string {
    return this.hello.connectionString;
  }
  /** The path of the emulator's CA certificate (PEM). */
  get caCertificate(): string {
    return this.hello.caCertificate;
  }

  /** `POST /_emulator/faults`. */
  async setFaults(settings: RuntimeSettings): Promise<void> {
    await this.call("POST", "/_emulator/faults", settings);
  }
  /** `POST /_emulator/stats/reset`. */
  async resetStats(): Promise<void> {
    await this.call("POST", "/_emulator/stats/reset");
  }
  /** `GET /_emulator/stats`. */
  async stats(): Promise<EmulatorStats> {
    return JSON.parse(await this.call("GET", "/_emulator/stats")) as EmulatorStats;
  }

  /** Stops the process. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once("exit", resolve));
    this.child.kill("SIGTERM");
    await exited;
  }

  private call(method: string, route: string, body?: unknown): Promise<string> {
    const url = new URL(route, this.hello.endpoint);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method,
          agent: false, // a fresh connection each time: no reuse racing the server's idle timeout
          ca: this.hello.caCertificate.startsWith("-----BEGIN")
            ? this.hello.caCertificate
            : readFileSync(this.hello.caCertificate, "utf8"),
          headers: {
            authorization: `Bearer ${this.hello.adminToken}`,
            ...(payload ? { "content-type": "application/json" } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            if ((res.statusCode ?? 500) >= 300)
              reject(new Error(`${method} ${route}: ${res.statusCode} ${text}`));
            else resolve(text);
          });
        },
      );
      req.on("error", reject);
      req.end(payload);
    });
  }
}
