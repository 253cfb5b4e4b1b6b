// Reads and out-of-band writes at data-plane api-version 2026-11-01 over raw HTTPS: what another tool
// that knows the ADR fields does (the official client speaks 2021-10-01, which cannot see them).
import { strict as assert } from "assert";
import type { EmulatorHandle } from "../../emulator";
import { raw, type RawResponse } from "../emulator/helpers";

/** The api-version query of every request here. */
export const V2026 = "api-version=2026-11-01";

/** A record as 2026-11-01 returns it. */
export type Record2026 = Record<string, unknown>;

/** The collections of the two kinds. */
export type Collection = "enrollments" | "enrollmentGroups";

/** GET the record at 2026-11-01 (asserting it exists). */
export async function read2026(emu: EmulatorHandle, collection: Collection, id: string): Promise<Record2026> {
  const res = await raw(emu, `/${collection}/${id}?${V2026}`);
  assert.equal(res.status, 200, res.text);
  return res.json() as Record2026;
}

/** POST `.../attestationmechanism` at 2026-11-01: the attestation with its keys. */
export async function keys2026(emu: EmulatorHandle, collection: Collection, id: string): Promise<unknown> {
  return (await raw(emu, `/${collection}/${id}/attestationmechanism?${V2026}`, { method: "POST" })).json();
}

/**
 * A writer outside Pulumi: GET at 2026-11-01 and the keys, `change`, PUT with the etag (asserting 200).
 * Returns the PUT's answer.
 */
export async function outOfBand2026(
  emu: EmulatorHandle,
  collection: Collection,
  id: string,
  change: (record: Record2026) => void,
): Promise<RawResponse> {
  const current = await read2026(emu, collection, id);
  current.attestation = await keys2026(emu, collection, id);
  change(current);
  const res = await raw(emu, `/${collection}/${id}?${V2026}`, {
    method: "PUT",
    headers: { "content-type": "application/json", "if-match": String(current.etag) },
    body: JSON.stringify(current),
  });
  assert.equal(res.status, 200, res.text);
  return res;
}

/** The three ADR names of a record or of outputs. */
export function adrOf(r: Record2026): Record2026 {
  return {
    namespaceName: r.namespaceName,
    certificateAuthorityName: r.certificateAuthorityName,
    certificatePolicyName: r.certificatePolicyName,
  };
}
