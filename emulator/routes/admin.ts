// The emulator's own control API under /_emulator/ (not part of DPS). The dispatcher authenticates
// every call first: the admin token or an owner SAS (see authenticateAdmin).
import { DpsError, ErrorCodes } from "../errors";
import type { Route } from "../router";
import type { Runtime, RuntimeSettings } from "../runtime";
import { isObject, type Json, type JsonObject } from "../types";

function settingsFrom(body: Json): RuntimeSettings {
  if (!isObject(body))
    throw new DpsError(400, ErrorCodes.malformedBody, "The request body must be a JSON object.");
  const out: RuntimeSettings = {};
  for (const key of ["rate500", "rate503", "dropRate", "latencyMs"] as const) {
    const v = body[key];
    if (v === undefined) continue;
    if (typeof v !== "number")
      throw new DpsError(400, ErrorCodes.malformedBody, `'${key}' must be a number.`);
    out[key] = v;
  }
  for (const key of ["updateRefusesExisting", "updateIfMatchETagRefusesExisting"] as const) {
    const v = body[key];
    if (v === undefined) continue;
    if (typeof v !== "boolean")
      throw new DpsError(400, ErrorCodes.malformedBody, `'${key}' must be true or false.`);
    out[key] = v;
  }
  const next = body.next;
  if (next !== undefined) {
    if (!Array.isArray(next) || !next.every((f) => typeof f === "string")) {
      throw new DpsError(400, ErrorCodes.malformedBody, "'next' must be a list of faults: drop, 500 or 503.");
    }
    out.next = next as RuntimeSettings["next"];
  }
  const concurrent = body.concurrentWrite;
  if (concurrent !== undefined) {
    // Checked whole by the fault module (RangeError, answered 400 below).
    if (concurrent !== null && !isObject(concurrent)) {
      throw new DpsError(400, ErrorCodes.malformedBody, "'concurrentWrite' must be an object or null.");
    }
    out.concurrentWrite = concurrent as RuntimeSettings["concurrentWrite"];
  }
  const ops = body.opsPerMinute;
  if (ops !== undefined) {
    if (ops !== null && typeof ops !== "number") {
      throw new DpsError(400, ErrorCodes.malformedBody, "'opsPerMinute' must be a number or null.");
    }
    out.opsPerMinute = ops;
  }
  return out;
}

/** Admin routes: stats, stats reset, faults, simulated registration states, ADR policy CAs. */
export function adminRoutes(rt: Runtime): Route[] {
  return [
    {
      method: "GET",
      pattern: /^\/_emulator\/stats$/,
      handler: async () => ({ status: 200, body: rt.snapshot() as unknown as JsonObject }),
    },
    {
      method: "POST",
      pattern: /^\/_emulator\/stats\/reset$/,
      handler: async () => {
        rt.resetStats();
        return { status: 204 };
      },
    },
    {
      method: "GET",
      pattern: /^\/_emulator\/faults$/,
      handler: async () => ({ status: 200, body: rt.settings() as unknown as JsonObject }),
    },
    {
      method: "POST",
      pattern: /^\/_emulator\/faults$/,
      handler: async ({ json }) => {
        try {
          rt.setFaults(settingsFrom(await json()));
        } catch (err) {
          if (err instanceof RangeError) throw new DpsError(400, ErrorCodes.malformedBody, err.message);
          throw err;
        }
        return { status: 200, body: rt.settings() as unknown as JsonObject };
      },
    },
    {
      method: "GET",
      pattern: /^\/_emulator\/adr-policies$/,
      handler: async () => ({ status: 200, body: rt.adr.list() as unknown as JsonObject[] }),
    },
    {
      method: "PUT",
      pattern: /^\/_emulator\/registrations\/([^/]+)$/,
      handler: async ({ params: [id], json }) => {
        const body = await json();
        if (!isObject(body))
          throw new DpsError(400, ErrorCodes.malformedBody, "The request body must be a JSON object.");
        return { status: 200, body: rt.setRegistrationState(id, body) };
      },
    },
  ];
}
