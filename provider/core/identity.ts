/**
 * The engine's id is the identity of a resource: reads, updates and deletes act on the id the engine
 * gives, never on an id found in the properties beside it, and a create takes the id it asked for,
 * never one a (wrong) answer names. Pure.
 */
import { isRecordId } from "./checks";
import type { EnrollmentKind } from "./kind";
import type { IdKey } from "./wire";

/** Whether two record ids name the same record (DPS ids are case-insensitive). */
function sameId(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/**
 * The engine's `id`, checked: a valid record id, and the one every record in `records` (state,
 * inputs) names. Throws, before any call, when the id is invalid or the state disagrees with it.
 */
export function engineId(
  kind: Pick<EnrollmentKind, "idKey" | "noun">,
  id: string,
  ...records: (Partial<Record<IdKey, unknown>> | undefined)[]
): string {
  if (!isRecordId(id)) {
    throw new Error(
      `The resource's id ${JSON.stringify(String(id).slice(0, 140))} is not a valid ${kind.idKey}: use 1 to 128 letters, ` +
        "digits and ': . _ -', starting and ending with a letter or digit. Nothing was sent to the DPS.",
    );
  }
  for (const record of records) {
    const named = record?.[kind.idKey];
    if (named !== undefined && (typeof named !== "string" || !sameId(named, id))) {
      throw new Error(
        `The state of ${kind.noun.toLowerCase()} "${id}" names ${kind.idKey} ${JSON.stringify(String(named).slice(0, 140))}, ` +
          `which is not its id: the state was edited or belongs to another resource. Nothing was sent to the DPS; ` +
          "fix the state (`pulumi stack export`/`import`) or run `pulumi refresh`.",
      );
    }
  }
  return id;
}

/** Throws unless the DPS's answer is about the record asked for (`asked`). */
export function answeredFor(
  kind: Pick<EnrollmentKind, "idKey" | "noun">,
  asked: string,
  answer: Partial<Record<IdKey, unknown>>,
  hostName: string,
): string {
  const named = answer[kind.idKey];
  if (typeof named !== "string" || !sameId(named, asked)) {
    throw new Error(
      `The DPS ${hostName} answered a request for ${kind.noun.toLowerCase()} "${asked}" with a record ` +
        `that is not "${asked}": the DPS answered wrongly. The stack does not take this answer; ` +
        "run `pulumi refresh` and check the DPS.",
    );
  }
  return named;
}
