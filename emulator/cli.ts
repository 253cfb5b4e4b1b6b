#!/usr/bin/env node
// `dps-emulator`: starts the emulator, prints one JSON line on stdout when ready, serves until SIGINT/SIGTERM.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { startEmulator, type EmulatorOptions } from "./index";

const USAGE = `Usage: dps-emulator [--port N] [--host ADDR] [--host-name NAME] [--state FILE]
                    [--linked-hub HOST ...] [--id-scope SCOPE] [--webhook-ca FILE ...] [--ca NAME=PEMFILE ...]
                    [--adr-policy NAMESPACE/CA/POLICY ...] [--ops-per-minute N] [--test-issuer]
                    [--fault-500 RATE] [--fault-503 RATE] [--fault-drop RATE] [--latency-ms MS]
                    [--bulk-update-refuses-existing on|off] [--bulk-update-if-match-etag-refuses-existing on|off]`;

function number(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n)) throw new Error(`${flag} expects a number, got '${value}'`);
  return n;
}

/** An `on|off` flag's value; undefined when not given. */
function onOff(value: string | undefined, flag: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (value === "on") return true;
  if (value === "off") return false;
  throw new Error(`${flag} expects on or off, got '${value}'`);
}

/** `--ca NAME=PEMFILE` values as `{name: PEM text}`. Throws on a value without `=`. */
function caCertificates(values: string[] | undefined): Record<string, string> | undefined {
  if (!values) return undefined;
  const out: Record<string, string> = {};
  for (const value of values) {
    const at = value.indexOf("=");
    if (at <= 0) throw new Error(`--ca expects NAME=PEMFILE, got '${value}'`);
    out[value.slice(0, at)] = readFileSync(value.slice(at + 1), "utf8");
  }
  return out;
}

/** Parses command-line arguments into emulator options. Throws on unknown or malformed flags. */
export function parseCli(argv: string[]): EmulatorOptions & { help: boolean } {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      port: { type: "string" },
      host: { type: "string" },
      "host-name": { type: "string" },
      state: { type: "string" },
      "linked-hub": { type: "string", multiple: true },
      "id-scope": { type: "string" },
      "webhook-ca": { type: "string", multiple: true },
      "adr-policy": { type: "string", multiple: true },
      ca: { type: "string", multiple: true },
      "ops-per-minute": { type: "string" },
      "test-issuer": { type: "boolean" },
      "fault-500": { type: "string" },
      "fault-503": { type: "string" },
      "fault-drop": { type: "string" },
      "latency-ms": { type: "string" },
      "bulk-update-refuses-existing": { type: "string" },
      "bulk-update-if-match-etag-refuses-existing": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  return {
    help: values.help ?? false,
    port: number(values.port, "--port"),
    host: values.host,
    hostName: values["host-name"],
    stateFile: values.state,
    linkedHubs: values["linked-hub"],
    idScope: values["id-scope"],
    webhookCas: values["webhook-ca"]?.map((file) => readFileSync(file, "utf8")),
    adrPolicies: values["adr-policy"],
    caCertificates: caCertificates(values.ca),
    opsPerMinute: number(values["ops-per-minute"], "--ops-per-minute"),
    testIssuer: values["test-issuer"] ?? false,
    faults: {
      rate500: number(values["fault-500"], "--fault-500"),
      rate503: number(values["fault-503"], "--fault-503"),
      dropRate: number(values["fault-drop"], "--fault-drop"),
      latencyMs: number(values["latency-ms"], "--latency-ms"),
    },
    bulkQuirks: {
      updateRefusesExisting: onOff(values["bulk-update-refuses-existing"], "--bulk-update-refuses-existing"),
      updateIfMatchETagRefusesExisting: onOff(
        values["bulk-update-if-match-etag-refuses-existing"],
        "--bulk-update-if-match-etag-refuses-existing",
      ),
    },
  };
}

async function main(): Promise<void> {
  let options: ReturnType<typeof parseCli>;
  try {
    options = parseCli(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n${USAGE}\n`);
    process.exit(2);
  }
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const emulator = await startEmulator(options);
  // Exactly one line on stdout, so scripts can read it with a single readline.
  process.stdout.write(
    `${JSON.stringify({
      endpoint: emulator.endpoint,
      hostName: emulator.hostName,
      connectionString: emulator.connectionString,
      caCertificate: emulator.caCertificate,
      linkedHubs: emulator.linkedHubs,
      adminToken: emulator.adminToken,
      idScope: emulator.idScope,
    })}\n`,
  );
  if (emulator.testIssuer) {
    const { identityEndpoint, identityHeader, clientId } = emulator.testIssuer;
    process.stderr.write(
      `${JSON.stringify({ testIssuer: { identityEndpoint, identityHeader, clientId } })}\n`,
    );
  }
  const shutdown = (): void => {
    emulator.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`error while stopping: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.once("SIGINT", shutdown);
  process.once("SIGTERM", shutdown);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`dps-emulator: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
