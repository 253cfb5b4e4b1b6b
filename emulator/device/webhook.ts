// Custom allocation: the POST the service makes to the enrollment's webhook, and what it takes back.
import { request } from "node:https";
import { rootCertificates } from "node:tls";
import { checkJsonDepth, MAX_JSON_DEPTH } from "../limits";
import { isObject, type JsonObject } from "../types";
import { clip } from "../errors";
import { validInitialTwin } from "../validation";

/**
 * Wall-clock limit of the whole webhook exchange: connecting, sending, and reading the complete answer.
 * A webhook that dribbles its answer does not extend it. The service documents none; an Azure Function
 * answers in well under this.
 */
export const WEBHOOK_TIMEOUT_MS = 10_000;
/** Largest webhook answer read; reading stops as soon as it is exceeded. */
export const MAX_WEBHOOK_ANSWER_BYTES = 64 * 1024;

/** What a custom allocation webhook decided. */
export interface WebhookDecision {
  /** The hub the device goes to; must be one of the linked hubs. */
  iotHubHostName: string;
  /** The initial twin it asks for, if any: tags and desired properties, within the twin limits. */
  initialTwin?: JsonObject;
  /** A payload returned to the device, if any: a JSON object. */
  payload?: JsonObject;
}

/** POSTs `text` to `url` and reads the answer, within the deadline and the size cap. */
function exchange(
  url: string,
  text: string,
  extraCas: readonly string[],
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (err: Error | undefined, answer?: { status: number; text: string }): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      if (err) {
        req.destroy();
        reject(err);
      } else resolve(answer as { status: number; text: string });
    };
    const req = request(
      url,
      {
        method: "POST",
        ca: [...rootCertificates, ...extraCas],
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(text) },
      },
      (res) => {
        const tooLarge = new Error(`its answer exceeds ${MAX_WEBHOOK_ANSWER_BYTES} bytes`);
        if (Number(res.headers["content-length"] ?? 0) > MAX_WEBHOOK_ANSWER_BYTES) return finish(tooLarge);
        let size = 0;
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => {
          size += c.length;
          if (size > MAX_WEBHOOK_ANSWER_BYTES) finish(tooLarge);
          else chunks.push(c);
        });
        res.on("end", () =>
          finish(undefined, { status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }),
        );
        res.on("error", (err) => finish(err));
      },
    );
    const deadline = setTimeout(
      () => finish(new Error(`it did not complete its answer within ${WEBHOOK_TIMEOUT_MS} ms`)),
      WEBHOOK_TIMEOUT_MS,
    );
    req.on("error", (err) => finish(err));
    req.end(text);
  });
}

/** The answer as JSON, no deeper than the emulator's own bodies may nest (checked before parsing). */
function parseAnswer(text: string): unknown {
  try {
    checkJsonDepth(text);
  } catch {
    throw new Error(`its answer nests objects or arrays deeper than ${MAX_JSON_DEPTH} levels`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new Error("its answer is not JSON");
  }
}

/**
 * POSTs `body` (the documented `{individualEnrollment|enrollmentGroup, deviceRuntimeContext, linkedHubs}`)
 * to `url` over HTTPS, trusting the public roots plus `extraCas`, and validates the answer as the
 * emulator validates enrollments: `initialTwin` within the twin limits, `payload` a JSON object, the
 * whole answer within {@link MAX_WEBHOOK_ANSWER_BYTES} and the JSON nesting limit. Nothing of an answer
 * that fails these is kept.
 *
 * @throws Error with the reason when the webhook fails, misses the deadline or answers something unusable.
 */
export async function callWebhook(
  url: string,
  body: JsonObject,
  linkedHubs: readonly string[],
  extraCas: readonly string[],
): Promise<WebhookDecision> {
  const answer = await exchange(url, JSON.stringify(body), extraCas);
  if (answer.status < 200 || answer.status >= 300) throw new Error(`it answered HTTP ${answer.status}`);
  const parsed = parseAnswer(answer.text);
  if (!isObject(parsed) || typeof parsed.iotHubHostName !== "string") {
    throw new Error("its answer has no 'iotHubHostName'");
  }
  const hub = parsed.iotHubHostName;
  const linked = linkedHubs.find((h) => h.toLowerCase() === hub.toLowerCase());
  if (!linked) {
    throw new Error(`it chose '${clip(hub)}', which is not linked to the Device Provisioning Service`);
  }
  const decision: WebhookDecision = { iotHubHostName: linked };
  const twin = validInitialTwin(parsed);
  if (twin) decision.initialTwin = twin;
  if (parsed.payload !== undefined && parsed.payload !== null) {
    if (!isObject(parsed.payload)) throw new Error("its 'payload' must be a JSON object");
    decision.payload = parsed.payload;
  }
  return decision;
}
