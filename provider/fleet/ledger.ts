/**
 * The ledger of what landed, the `__fleet` output: one line per item in the DPS as the program
 * declared it, `"<id> <digest> <type> <held>"`, sorted by id, joined with "\n". The digest is 11 base64url
 * characters (64 bits of a SHA-256) of the item's canonical effective inputs; the type letter
 * (`k` symmetric key, `t` TPM, `x` X.509) lets a delete name each record as a bulk call needs,
 * from state alone; `held` digests what the program manages as the record holds it (heldDigest.ts),
 * which a refresh without the old inputs (the dynamic face) compares to find drift. The dynamic face's diff and update get only old outputs: the ledger is how they
 * know which items changed, and how a partial failure is recorded (a failed item keeps its old line,
 * or none, so the next `up` writes exactly what is missing). Pure.
 */
import { createHash } from "crypto";
import type { AttestationType } from "../core/types";

/** One item of the ledger. */
export interface LedgerEntry {
  /** The digest of the effective inputs it was written with. */
  digest: string;
  /** Its attestation type. */
  type: AttestationType;
  /** The digest of what the program manages as the record holds it (see heldDigest.ts), when known. */
  held?: string;
}

/** Ledger entries by registration id, as written (ids compare case-insensitively: see {@link ledgerKey}). */
export type Ledger = Map<string, LedgerEntry>;

const LETTER: Record<AttestationType, string> = { symmetricKey: "k", tpm: "t", x509: "x" };
const TYPE_OF: Record<string, AttestationType> = { k: "symmetricKey", t: "tpm", x: "x509" };

/** JSON with object keys sorted and undefined members left out, so equal values hash equally. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** The digest of an item's effective inputs (without connection or adopt). */
export function itemDigest(effective: Record<string, unknown>): string {
  const { connection: _c, adopt: _a, ...rest } = effective;
  return digest64(rest);
}

/** 64 bits of the SHA-256 of `value`'s canonical JSON, as 11 base64url characters. */
export function digest64(value: unknown): string {
  return createHash("sha256").update(canonicalJson(value)).digest().subarray(0, 8).toString("base64url");
}

/** The ledger of a `__fleet` output; empty for none. */
export function parseLedger(text: unknown): Ledger {
  const ledger: Ledger = new Map();
  if (typeof text !== "string") return ledger;
  for (const line of text.split("\n")) {
    const [id, digest, letter, held] = line.split(" ");
    if (!id || !digest) continue;
    const entry: LedgerEntry = { digest, type: TYPE_OF[letter ?? ""] ?? "symmetricKey" };
    if (held) entry.held = held;
    ledger.set(id, entry);
  }
  return ledger;
}

/** The `__fleet` output of a ledger. */
export function formatLedger(ledger: Ledger): string {
  return [...ledger.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([id, e]) => `${id} ${e.digest} ${LETTER[e.type]}${e.held ? ` ${e.held}` : ""}`)
    .join("\n");
}
