// Identifiers in the service's own formats, as recordings of the real DPS show them.
import { randomBytes, randomUUID } from "node:crypto";

/**
 * A new etag as the service sends it: the base64 of a quoted Cosmos DB etag, e.g.
 * `IjBhMDBiNzQyLTAwMDAtMDgwMC0wMDAwLTY0NjgwMWY1MDAwMCI=` for `"0a00b742-0000-0800-0000-646801f50000"`
 * (8 random hex digits, then the write's Unix time in hex). Clients treat it as opaque.
 */
export function newEtag(now = new Date()): string {
  const seconds = Math.floor(now.getTime() / 1000)
    .toString(16)
    .padStart(8, "0");
  const inner = `"${randomBytes(4).toString("hex")}-0000-0800-0000-${seconds}0000"`;
  return Buffer.from(inner).toString("base64");
}

/** A device registration operation id as the service gives it: `4.{16 hex digits}.{GUID}`. */
export function newOperationId(): string {
  return `4.${randomBytes(8).toString("hex")}.${randomUUID()}`;
}
