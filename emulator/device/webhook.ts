// Custom allocation: the POST the service makes to the enrollment's webhook, and what it takes back.
import { request } from "node:https";
import { rootCertificates } from "node:tls";
import { isObject, type Json, type JsonObject } from "../types";

/** Longest wait for a webhook's answer (the service allows an Azure Function a few seconds as well). */
export const WEBHOOK_TIMEOUT_MS = 10_000;
/** Largest webhook answer read. */
const MAX_ANSWER_BYTES = 64 * 1024;

/** What a custom allocation webhook decided. */
export interface WebhookDecision {
  /** The hub the device goes to; must be one of the linked hubs. */
  iotHubHostName: string;
  /** The initial twin it asks for, if any. */
  initialTwin?: JsonObject;
  /** A payload returned to the device, if any. */
  payload?: Json;
}

/**
 * POSTs `body` (the documented `{individualEnrollment|enrollmentGroup, deviceRuntimeContext, linkedHubs}`)
 * to `url` over HTTPS, trusting the public roots plus `extraCas`, and validates the answer.
 *
 * @throws Error with the reason when the webhook fails, times out or answers something unusable.
 */
export async function callWebhook(
  url: string,
  body: JsonObject,
  linkedHubs: readonly string[],
  extraCas: readonly string[],
): Promise<WebhookDecision> {
  const text = JSON.stringify(body);
  const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request(
      url,
      {
        method: "POST",
        ca: [...rootCertificates, ...extraCas],
        timeout: WEBHOOK_TIMEOUT_MS,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(text) },
      },
      (res) => {
        let size = 0;
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => {
          size += c.length;
          if (size <= MAX_ANSWER_BYTES) chunks.push(c);
        });
        res.on("end", () =>
          size > MAX_ANSWER_BYTES
            ? reject(new Error(`the answer exceeds ${MAX_ANSWER_BYTES} bytes`))
            : resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }),
        );
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer within ${WEBHOOK_TIMEOUT_MS} ms`)));
    req.on("error", reject);
    req.end(text);
  });
  if (answer.status < 200 || answer.status >= 300) throw new Error(`it answered HTTP ${answer.status}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(answer.text);
  } catch {
    throw new Error("its answer is not JSON");
  }
  if (!isObject(parsed) || typeof parsed.iotHubHostName !== "string") {
    throw new Error("its answer has no 'iotHubHostName'");
  }
  const hub = parsed.iotHubHostName;
  const linked = linkedHubs.find((h) => h.toLowerCase() === hub.toLowerCase());
  if (!linked) throw new Error(`it chose '${hub}', which is not linked to the Device Provisioning Service`);
  const decision: WebhookDecision = { iotHubHostName: linked };
  if (isObject(parsed.initialTwin)) decision.initialTwin = parsed.initialTwin;
  if (parsed.payload !== undefined) decision.payload = parsed.payload;
  return decision;
}
