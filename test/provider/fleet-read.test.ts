// The fleet reader's rules (pure: an in-memory DPS): when pages are worth fetching, what stays a GET.
import { strict as assert } from "assert";
import {
  FleetReader,
  READS_PER_PAGE,
  SNAPSHOT_MAX_AGE_MS,
  type ReadSource,
} from "../../provider/core/fleetRead";
import type { WireEnrollment } from "../../provider/core/semantics";

/** A DPS of `n` records, pages of `size`, counting calls; `failPages` makes every query fail. */
function dps(n: number, size: number, failPages = false) {
  const records = Array.from({ length: n }, (_, i) => ({ registrationId: `r-${i}`, etag: `"${i}"` }));
  const calls = { page: 0, get: 0 };
  const source: ReadSource = {
    async page(token) {
      calls.page += 1;
      if (failPages) throw new Error("query refused");
      const start = token === undefined ? 0 : Number(token);
      const next = start + size;
      return {
        items: structuredClone(records.slice(start, next)) as WireEnrollment[],
        token: next < n ? String(next) : undefined,
      };
    },
    async get(id) {
      calls.get += 1;
      return records.find((r) => r.registrationId === id.toLowerCase()) as WireEnrollment | undefined;
    },
  };
  return { records, calls, source };
}

const idOf = (r: WireEnrollment) => r.registrationId;

describe("fleet reader (pure)", () => {
  it("reads a few records by GET and no page", async () => {
    const { calls, source } = dps(1000, 100);
    const reader = new FleetReader(source, idOf);
    for (let i = 0; i < READS_PER_PAGE - 1; i++) assert.equal((await reader.read(`r-${i}`))?.etag, `"${i}"`);
    assert.deepEqual(calls, { page: 0, get: READS_PER_PAGE - 1 });
  });

  it("serves many reads from pages, and confirms by GET what a complete listing lacks", async () => {
    const { calls, source } = dps(300, 100);
    const reader = new FleetReader(source, idOf);
    for (let i = 299; i >= 0; i--) assert.equal((await reader.read(`R-${i}`))?.registrationId, `r-${i}`);
    assert.equal(calls.page, 3);
    assert.ok(calls.get < 20, `${calls.get} GETs`);
    const before = calls.get;
    assert.equal(await reader.read("gone"), undefined);
    assert.equal(calls.get, before + 1);
  });

  it("reads a fleet from pages even when it reads in another order than the pages list", async () => {
    // Pages list ids as the service orders them (here: lexicographic r-0, r-1, r-10, r-100, ...);
    // the engine reads them in the program's order (r-0, r-1, r-2, ...).
    const { calls, source, records } = dps(2000, 100);
    records.sort((a, b) => a.registrationId.localeCompare(b.registrationId));
    const reader = new FleetReader(source, idOf);
    for (let i = 0; i < 2000; i++) assert.equal((await reader.read(`r-${i}`))?.registrationId, `r-${i}`);
    assert.equal(calls.page, 20);
    assert.ok(calls.get <= 2 * READS_PER_PAGE, `${calls.get} GETs`);
  });

  it("a small stack in a large DPS pays at most one call per read, and a page for the reads that paid it", async () => {
    const { calls, source } = dps(10_000, 100);
    const reader = new FleetReader(source, idOf);
    const ids = Array.from({ length: 30 }, (_, i) => `r-${i * 333}`);
    for (const id of ids) assert.equal((await reader.read(id))?.registrationId, id);
    assert.ok(calls.get + calls.page <= ids.length * (1 + 1 / READS_PER_PAGE) + 1, JSON.stringify(calls));
  });

  it("reads by GET what this process wrote, and everything when the query fails", async () => {
    const { calls, source, records } = dps(100, 100);
    const reader = new FleetReader(source, idOf);
    for (let i = 0; i < 10; i++) await reader.read(`r-${i}`);
    reader.wrote("r-50");
    records[50].etag = '"new"';
    const gets = calls.get;
    assert.equal((await reader.read("r-50"))?.etag, '"new"');
    assert.equal(calls.get, gets + 1);

    const failing = dps(100, 100, true);
    const fallback = new FleetReader(failing.source, idOf);
    for (let i = 0; i < 20; i++) assert.equal((await fallback.read(`r-${i}`))?.registrationId, `r-${i}`);
    assert.deepEqual(failing.calls, { page: 1, get: 20 });
  });

  it("drops pages older than the maximum age", async () => {
    const { calls, source, records } = dps(100, 100);
    let now = 0;
    const reader = new FleetReader(source, idOf, () => now);
    for (let i = 0; i < 10; i++) await reader.read(`r-${i}`);
    records[99].etag = '"moved"';
    assert.equal((await reader.read("r-99"))?.etag, '"99"', "served from the page");
    now = SNAPSHOT_MAX_AGE_MS + 1;
    assert.equal((await reader.read("r-99"))?.etag, '"moved"', "read again once the page is old");
    assert.equal(calls.page, 1);
  });
});
