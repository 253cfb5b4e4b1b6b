/**
 * No secret in a message: the strings the engine marked secret in a request, and a message with
 * every one of them (raw, JSON-escaped or URL-encoded) masked. Pure. The rules avoid repeating
 * values that may be secret in the first place; this is the net under them.
 */
import { REDACTED, redactSecrets } from "../core/errors";
import { isObject } from "../core/checks";
import { isSecret, reveal } from "./values";

/** Shortest secret string masked: shorter ones would mask ordinary words of the message. */
const MIN_SECRET_LENGTH = 4;

function strings(value: unknown, into: Set<string>): void {
  if (typeof value === "string") {
    if (value.length >= MIN_SECRET_LENGTH) into.add(value);
  } else if (Array.isArray(value)) {
    for (const v of value) strings(v, into);
  } else if (isObject(value)) {
    for (const v of Object.values(value)) strings(v, into);
  }
}

/** Every string inside a secret of `value` (a property bag as the engine sends it), deeply. */
export function secretStrings(value: unknown, into: Set<string> = new Set()): Set<string> {
  if (isSecret(value)) strings(reveal(value), into);
  else if (Array.isArray(value)) for (const v of value) secretStrings(v, into);
  else if (isObject(value)) for (const v of Object.values(value)) secretStrings(v, into);
  return into;
}

/** Every string of `value`, deeply: for values that are secret as a whole (the provider's connection). */
export function allStrings(value: unknown, into: Set<string> = new Set()): Set<string> {
  strings(value, into);
  return into;
}

/** `text` with each of `secrets` masked in every form a message may quote it, and known key patterns. */
export function maskSecrets(text: string, secrets: Iterable<string>): string {
  let out = text;
  // Longest first, so that a secret holding another is masked whole.
  const sorted = [...secrets].sort((a, b) => b.length - a.length);
  for (const secret of sorted) {
    for (const form of [secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret)]) {
      if (form.length >= MIN_SECRET_LENGTH) out = out.split(form).join(REDACTED);
    }
  }
  return redactSecrets(out);
}
