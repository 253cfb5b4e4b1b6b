/**
 * Secrets as the engine sends them to a plugin that accepts secrets (`{ <sig>: <secret sig>, value }`),
 * unwrapped for the core (which works on plain values) and wrapped again on the way back. Pure.
 */
import { isObject } from "../core/checks";

/** The engine's special-value signature key and the secret signature (sdk/go/common/resource/sig). */
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** True when `value` is a secret as the engine sends it. */
export function isSecret(value: unknown): boolean {
  return isObject(value) && value[SIG_KEY] === SECRET_SIG;
}

/** `value` marked secret, for the engine. */
export function secret(value: unknown): Record<string, unknown> {
  return { [SIG_KEY]: SECRET_SIG, value };
}

/** `value` with every secret replaced by its plain value, deeply. */
export function reveal(value: unknown): unknown {
  if (isSecret(value)) return reveal((value as { value: unknown }).value);
  if (Array.isArray(value)) return value.map(reveal);
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, reveal(v)]));
  return value;
}

/** A property bag revealed, for the core. */
export function revealProps(props: Record<string, unknown> | undefined): Record<string, unknown> {
  return (reveal(props ?? {}) as Record<string, unknown>) ?? {};
}
