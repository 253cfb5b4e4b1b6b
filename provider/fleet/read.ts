/**
 * Reads of many records of a fleet: from query pages (100 records a call) while pages can still
 * save calls, then one GET per record still missing; the cheaper of the two for a fleet in a DPS
 * that may hold other records too.
 */
import type { EnrollmentService } from "../core/service";
import type { WireEnrollment } from "../core/wire";
import { pool } from "./pool";

/** A record ≤ this many: one GET each (a query page would cost as much). */
const GET_AT_MOST = 5;
/** GETs in flight at once (each paced by the shared pacing). */
const GETS_IN_FLIGHT = 8;

/** The records of `ids` (lowercased keys), `undefined` for those that do not exist. */
export async function readMany(
  service: EnrollmentService,
  ids: readonly string[],
): Promise<Map<string, WireEnrollment | undefined>> {
  const found = new Map<string, WireEnrollment | undefined>();
  const missing = new Map(ids.map((id) => [id.toLowerCase(), id]));
  if (missing.size > GET_AT_MOST) {
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await service.page(token);
      pages += 1;
      for (const record of page.items) {
        const key = String(record.registrationId ?? "").toLowerCase();
        if (missing.delete(key)) found.set(key, record);
      }
      token = page.token;
      // A page is worth it while it may save more GETs than it costs.
    } while (token !== undefined && missing.size > GET_AT_MOST && pages < missing.size);
    if (token === undefined) {
      // The listing is complete: what it lacks does not exist.
      for (const key of missing.keys()) found.set(key, undefined);
      return found;
    }
  }
  await pool([...missing], GETS_IN_FLIGHT, async ([key, id]) => {
    found.set(key, await service.get(id));
  });
  return found;
}

/** Every record whose id starts with `prefix` (case-insensitive), from query pages. */
export async function readPrefix(service: EnrollmentService, prefix: string): Promise<WireEnrollment[]> {
  const lower = prefix.toLowerCase();
  const records: WireEnrollment[] = [];
  let token: string | undefined;
  do {
    const page = await service.page(token);
    for (const record of page.items) {
      if (
        String(record.registrationId ?? "")
          .toLowerCase()
          .startsWith(lower)
      )
        records.push(record);
    }
    token = page.token;
  } while (token !== undefined);
  return records;
}
