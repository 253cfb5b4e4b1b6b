#!/usr/bin/env node
// Regenerates test/recordings/*.json, the replay fixtures of the real DPS, from test-proxy recordings
// of Azure/azure-sdk-for-python (sdk/iothub/azure-iot-deviceprovisioning/tests/recordings/, MIT).
//
//   node scripts/recordings/refresh.mjs DIR [--commit SHA] [--out test/recordings]
//
// DIR holds recording JSON files (a checkout of that folder). Only DPS exchanges are kept (entries to
// *.azure-devices-provisioning.net; the Entra token traffic is left out), in our own format: method,
// path, query, the request headers that matter (If-Match, x-ms-*), the request body with the
// recorder's placeholders, the status, the response headers clients read, and the response body.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { URL } from "node:url";
import { parseArgs } from "node:util";

const SOURCE_REPO = "Azure/azure-sdk-for-python";
const SOURCE_PATH = "sdk/iothub/azure-iot-deviceprovisioning/tests/recordings";
const REQUEST_HEADERS = /^(if-match|x-ms-.*)$/i;
const RESPONSE_HEADERS =
  /^(content-type|etag|retry-after|x-ms-continuation|x-ms-item-type|x-ms-error-code)$/i;

/** The body as JSON when it is JSON text (the recorder stores some answers as strings). */
function parsedBody(body) {
  if (typeof body !== "string") return body ?? null;
  try {
    return JSON.parse(body);
  } catch {
    return body;
  }
}

function pickHeaders(headers, pattern) {
  const out = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (pattern.test(name)) out[name.toLowerCase()] = value;
  }
  return out;
}

/**
 * The recorder keeps only `primary` of a request's certificates while the answer shows `secondary`
 * too (the Python tests send both: tests/utility/common.py); restore it as the same placeholder.
 */
function restoreSecondary(request, response) {
  for (const field of ["clientCertificates", "signingCertificates"]) {
    const sent = request?.attestation?.x509?.[field];
    const answered = response?.attestation?.x509?.[field];
    if (sent?.primary && !sent.secondary && answered?.secondary) sent.secondary = { ...sent.primary };
  }
}

function restoreSecondaries(body, response) {
  if (Array.isArray(body?.enrollments))
    for (const item of body.enrollments) restoreSecondary(item, undefined);
  else restoreSecondary(body, response);
}

/** The registration id of a device whose registration a `/registrations/` answer shows, if any. */
function registeredDevice(exchange) {
  if (!/^\/registrations\//i.test(exchange.path) || exchange.status !== 200) return undefined;
  const body = exchange.responseBody;
  const first = Array.isArray(body) ? body[0] : body;
  return typeof first?.registrationId === "string" ? first.registrationId : undefined;
}

/** The fixture of one recording file. */
export function fixtureOf(recording, { name, commit }) {
  const steps = [];
  let deviceSeen = false;
  for (const entry of recording.Entries ?? []) {
    const url = new URL(entry.RequestUri);
    if (!url.hostname.endsWith(".azure-devices-provisioning.net")) continue;
    const requestBody = parsedBody(entry.RequestBody);
    const responseBody = parsedBody(entry.ResponseBody);
    restoreSecondaries(requestBody, responseBody);
    const exchange = {
      method: entry.RequestMethod,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      requestHeaders: pickHeaders(entry.RequestHeaders, REQUEST_HEADERS),
      requestBody,
      status: entry.StatusCode,
      responseHeaders: pickHeaders(entry.ResponseHeaders, RESPONSE_HEADERS),
      responseBody,
    };
    // The device's own registration went to the global device endpoint, which the recorder did not
    // capture: mark where it happened, before the first answer that shows it.
    const device = deviceSeen ? undefined : registeredDevice(exchange);
    if (device) {
      steps.push({ deviceRegisters: device });
      deviceSeen = true;
    }
    steps.push(exchange);
  }
  return {
    test: name,
    source: { repository: SOURCE_REPO, path: `${SOURCE_PATH}/${name}.json`, commit, license: "MIT" },
    steps,
  };
}

/** JSON text as the repository's Prettier formats it (so `prettier --check .` passes). */
async function formatted(value) {
  const text = JSON.stringify(value, null, 2);
  try {
    const prettier = await import("prettier");
    return await prettier.format(text, { parser: "json" });
  } catch {
    return `${text}\n`;
  }
}

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { commit: { type: "string" }, out: { type: "string" } },
  });
  const [dir] = positionals;
  if (!dir) {
    process.stderr.write("usage: refresh.mjs DIR [--commit SHA] [--out test/recordings]\n");
    process.exit(2);
  }
  const out = values.out ?? join("test", "recordings");
  let count = 0;
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()) {
    const name = basename(file, ".json");
    const fixture = fixtureOf(JSON.parse(readFileSync(join(dir, file), "utf8")), {
      name,
      commit: values.commit ?? "unknown",
    });
    if (!fixture.steps.some((s) => s.method)) continue;
    writeFileSync(join(out, `${name}.json`), await formatted(fixture));
    count += fixture.steps.filter((s) => s.method).length;
    process.stdout.write(`${name}: ${fixture.steps.length} steps\n`);
  }
  process.stdout.write(`${count} DPS exchanges written to ${out}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
