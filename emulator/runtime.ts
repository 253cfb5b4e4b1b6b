// The mutable state of one running emulator, shared by the request dispatcher, the admin API and the
// handle returned by startEmulator.
import type { AuthContext } from "./auth";
import { AdrAuthorities } from "./device/issuance";
import type { CaRegistry } from "./device/cas";
import { PeerChains } from "./device/peer";
import { newEtag } from "./etag";
import { afterConcurrentWrite, decideFault, normalizeFaults, type FaultDecision } from "./faults";
import { RateLimiter } from "./ratelimit";
import { emptyStats, type EmulatorStats } from "./stats";
import type { EnrollmentStore } from "./store";
import type { BulkQuirks, FaultOptions, JsonObject } from "./types";

/** Slowest rate limit: one operation a minute, so Retry-After never exceeds 60 seconds. */
export const MIN_OPS_PER_MINUTE = 1;
/** Fastest rate limit (a thousand times the service's default quota). */
export const MAX_OPS_PER_MINUTE = 1_000_000;

/** Runtime-adjustable settings: fault injection, the rate limit and the bulk quirks. */
export interface RuntimeSettings extends FaultOptions, BulkQuirks {
  /** Sustained DPS operations per minute before 429; `0` or `null` turns the limit off. */
  opsPerMinute?: number | null;
}

/** The bulk quirks when not set: as recorded for `update`, off for `updateIfMatchETag`. */
export const DEFAULT_BULK_QUIRKS: Required<BulkQuirks> = {
  updateRefusesExisting: true,
  updateIfMatchETagRefusesExisting: false,
};

/** The device side of an emulated DPS. */
export interface DeviceSettings {
  /** The ID scope devices register under. */
  idScope: string;
  /** Extra CA certificates (PEM) trusted when calling custom allocation webhooks. */
  webhookCas?: readonly string[];
  /** The ADR certificate policies devices can get certificates under; default none. */
  adr?: AdrAuthorities;
  /** The DPS's verified CA certificates, by name, which `caReferences` name. */
  caCertificates?: CaRegistry;
}

/** State of a running emulator. */
export class Runtime {
  /** Request counters. */
  stats: EmulatorStats = emptyStats();
  /** Current fault settings. */
  faults: Required<FaultOptions>;
  /** Current rate limiter, if any. */
  limiter: RateLimiter | undefined;
  /** How bulk writes answer for existing records (see {@link BulkQuirks}). */
  bulkQuirks: Required<BulkQuirks>;
  /** The ID scope devices register under. */
  readonly idScope: string;
  /** Extra CAs trusted for custom allocation webhooks. */
  readonly webhookCas: readonly string[];
  /** The ADR certificate policies and their CAs. */
  readonly adr: AdrAuthorities;
  /** The DPS's verified CA certificates, by name (see device/cas.ts). */
  readonly caCertificates: CaRegistry;
  /** Client certificate chains of open TLS connections (see device/peer.ts). */
  readonly peerChains = new PeerChains();

  /**
   * @param store - Enrollments.
   * @param linkedHubs - Hubs linked to the DPS.
   * @param auth - Authentication settings.
   * @param settings - Initial faults and rate limit.
   * @param device - ID scope and webhook trust of the device API.
   */
  constructor(
    readonly store: EnrollmentStore,
    readonly linkedHubs: readonly string[],
    readonly auth: AuthContext,
    settings: RuntimeSettings = {},
    device: DeviceSettings = { idScope: "0ne00000000" },
  ) {
    this.idScope = device.idScope;
    this.webhookCas = device.webhookCas ?? [];
    this.adr = device.adr ?? AdrAuthorities.none();
    this.caCertificates = device.caCertificates ?? new Map();
    this.faults = normalizeFaults(settings);
    this.limiter = limiterFor(settings.opsPerMinute);
    this.bulkQuirks = { ...DEFAULT_BULK_QUIRKS, ...bulkQuirksOf(settings) };
  }

  /** A copy of the counters. */
  snapshot(): EmulatorStats {
    return structuredClone(this.stats);
  }

  /** Zeroes the counters. */
  resetStats(): void {
    this.stats = emptyStats();
  }

  /** The fault for the request at hand: the first of `next`, which is used up, else a random draw. */
  takeFault(): FaultDecision {
    const { next } = this.faults;
    if (next.length === 0) return decideFault(this.faults);
    this.faults = { ...this.faults, next: next.slice(1) };
    return next[0];
  }

  /** Uses up one time of the concurrent writer (see `meetConcurrentWriter`). */
  useConcurrentWrite(): void {
    const { concurrentWrite } = this.faults;
    if (concurrentWrite !== null)
      this.faults = { ...this.faults, concurrentWrite: afterConcurrentWrite(concurrentWrite) };
  }

  /** Current faults, rate limit and bulk quirks. */
  settings(): Required<FaultOptions> & Required<BulkQuirks> & { opsPerMinute: number | null } {
    return { ...this.faults, ...this.bulkQuirks, opsPerMinute: this.limiter?.opsPerMinute ?? null };
  }

  /**
   * Changes the given settings and keeps the others. Throws RangeError on invalid values.
   * A new `opsPerMinute` starts with a full bucket.
   */
  setFaults(settings: RuntimeSettings): void {
    this.faults = normalizeFaults({ ...this.faults, ...withoutUndefined(settings) });
    if (settings.opsPerMinute !== undefined) this.limiter = limiterFor(settings.opsPerMinute);
    this.bulkQuirks = { ...this.bulkQuirks, ...bulkQuirksOf(settings) };
  }

  /**
   * Simulates a device registration for an existing enrollment: stores a registration state built
   * from defaults (assigned to the enrollment's first hub) overridden by `state`.
   */
  setRegistrationState(id: string, state: JsonObject = {}): JsonObject {
    const enrollment = this.store.require(id);
    const hubs = Array.isArray(enrollment.iotHubs) ? enrollment.iotHubs : [];
    const now = new Date().toISOString();
    const full: JsonObject = {
      registrationId: enrollment.registrationId,
      createdDateTimeUtc: now,
      assignedHub:
        (hubs[0] as string | undefined) ??
        (enrollment.iotHubHostName as string | undefined) ??
        this.linkedHubs[0] ??
        null,
      deviceId: (enrollment.deviceId as string | undefined) ?? enrollment.registrationId,
      status: "assigned",
      substatus: "initialAssignment",
      lastUpdatedDateTimeUtc: now,
      etag: newEtag(),
      ...state,
    };
    full.registrationId = enrollment.registrationId;
    this.store.setRegistration(id, full);
    return full;
  }
}

/** A rate limiter for `opsPerMinute` (0, null or absent: none). Throws RangeError outside the bounds. */
function limiterFor(n: number | null | undefined): RateLimiter | undefined {
  if (!n) return undefined;
  if (!Number.isFinite(n) || n < MIN_OPS_PER_MINUTE || n > MAX_OPS_PER_MINUTE) {
    throw new RangeError(
      `opsPerMinute must be 0 (no limit) or between ${MIN_OPS_PER_MINUTE} and ${MAX_OPS_PER_MINUTE}`,
    );
  }
  return new RateLimiter(n);
}

function withoutUndefined(settings: RuntimeSettings): FaultOptions {
  const out: FaultOptions = {};
  if (settings.rate500 !== undefined) out.rate500 = settings.rate500;
  if (settings.rate503 !== undefined) out.rate503 = settings.rate503;
  if (settings.dropRate !== undefined) out.dropRate = settings.dropRate;
  if (settings.latencyMs !== undefined) out.latencyMs = settings.latencyMs;
  if (settings.next !== undefined) out.next = settings.next;
  if (settings.concurrentWrite !== undefined) out.concurrentWrite = settings.concurrentWrite;
  return out;
}

/** The bulk quirks `settings` sets. */
function bulkQuirksOf(settings: RuntimeSettings): BulkQuirks {
  const out: BulkQuirks = {};
  if (settings.updateRefusesExisting !== undefined)
    out.updateRefusesExisting = settings.updateRefusesExisting;
  if (settings.updateIfMatchETagRefusesExisting !== undefined)
    out.updateIfMatchETagRefusesExisting = settings.updateIfMatchETagRefusesExisting;
  return out;
}
