/**
 * The five data-plane calls the provider makes, at api-version 2026-11-01, on the REST layer the
 * official `azure-iot-provisioning-service` client is built on (`azure-iot-http-base`'s
 * `RestApiClient`: the same SAS or Entra token, user agent, keep-alive agent and error translation).
 *
 * Why not the official client's methods: it speaks 2021-10-01 only, whose reads leave out the Azure
 * Device Registry fields and whose writes would drop them. Why not a new client: none speaks
 * 2026-11-01 yet, and these calls are the client's own, one version later (same paths and headers).
 */
import { request as httpsRequest, type RequestOptions } from "node:https";
import type { ClientRequest, IncomingMessage } from "node:http";
import type { RestApiClient } from "azure-iot-http-base";
import { attestationAnswer, bulkAnswer, recordAnswer, recordsAnswer } from "./answers";
import { DEFAULT_REQUEST_TIMEOUT_S, requestDeadline } from "./deadline";
import type {
  BulkMode,
  BulkResult,
  QueryPage,
  WireAttestation,
  WireBulkBody,
  WireCollection,
  WireEnrollment,
} from "./wire";

export type { CollectionPath, WireCollection } from "./wire";

/** The data-plane api-version every call of the provider uses. */
export const DATA_PLANE_API_VERSION = "2026-11-01";

const JSON_HEADERS = { Accept: "application/json", "Content-Type": "application/json; charset=utf-8" };

/** Calls on one DPS, by a kind's collection (its path, id key and bulk field), at {@link DATA_PLANE_API_VERSION}. */
export class DataPlaneClient {
  /**
   * @param rest - The REST client (auth and transport), e.g. from {@link createRestClient}.
   * @param apiVersion - The api-version of every call.
   * @param requestTimeoutSeconds - How long one request may wait for its answer (see deadline.ts).
   */
  constructor(
    private readonly rest: RestApiClient,
    readonly apiVersion: string = DATA_PLANE_API_VERSION,
    readonly requestTimeoutSeconds: number = DEFAULT_REQUEST_TIMEOUT_S,
  ) {}

  private call<T>(
    method: "GET" | "PUT" | "POST" | "DELETE",
    path: string,
    headers: Record<string, string | number>,
    body: unknown,
  ): Promise<{ body: T; headers: Record<string, unknown> }> {
    const url = `${path}?api-version=${this.apiVersion}`;
    const deadline = requestDeadline(this.requestTimeoutSeconds);
    // The REST layer's own request function, with the deadline's signal: an abort destroys the socket.
    const request = (
      options: string | RequestOptions,
      answer?: (res: IncomingMessage) => void,
    ): ClientRequest =>
      httpsRequest(
        { ...(typeof options === "string" ? new URL(options) : options), signal: deadline.signal },
        answer,
      );
    return new Promise<{ body: T; headers: Record<string, unknown> }>((resolve, reject) => {
      // Also covers what precedes the request (a token credential that never answers).
      deadline.signal.addEventListener("abort", () => reject(deadline.signal.reason as Error), {
        once: true,
      });
      if (deadline.signal.aborted) return reject(deadline.signal.reason as Error);
      this.rest.executeApiCall(
        method,
        url,
        headers,
        body,
        undefined,
        { request },
        (error, result, response) => {
          if (error) reject(error);
          else resolve({ body: result as T, headers: (response?.headers ?? {}) as Record<string, unknown> });
        },
      );
    }).finally(deadline.done);
  }

  /** GET `{collection}{id}`: the record, keys hidden. */
  async get({ collection, idKey }: WireCollection, id: string): Promise<WireEnrollment> {
    const { body } = await this.call<unknown>(
      "GET",
      collection + encodeURIComponent(id),
      {
        Accept: "application/json",
      },
      null,
    );
    return recordAnswer(body, idKey);
  }

  /** POST `{collection}{id}/attestationmechanism`: the attestation with its keys. */
  async attestation({ collection }: WireCollection, id: string): Promise<WireAttestation> {
    const path = `${collection}${encodeURIComponent(id)}/attestationmechanism`;
    const { body } = await this.call<unknown>("POST", path, { ...JSON_HEADERS }, undefined);
    return attestationAnswer(body);
  }

  /** PUT the record; its `etag`, when set, is sent as `If-Match` (as the official client does). */
  async put(
    { collection, idKey }: WireCollection,
    id: string,
    record: WireEnrollment,
  ): Promise<WireEnrollment> {
    const headers: Record<string, string> = { ...JSON_HEADERS };
    if (record.etag) headers["If-Match"] = record.etag;
    const { body } = await this.call<unknown>("PUT", collection + encodeURIComponent(id), headers, record);
    return recordAnswer(body, idKey);
  }

  /** DELETE the record. */
  async delete({ collection }: WireCollection, id: string): Promise<void> {
    await this.call("DELETE", collection + encodeURIComponent(id), {}, null);
  }

  /**
   * POST `{collection}` without an id: one bulk operation of `mode` on up to 10 records, which the
   * service counts as one operation. The body's list is the kind's `bulkField`.
   */
  async bulk(
    { collection, bulkField }: WireCollection,
    mode: BulkMode,
    records: WireEnrollment[],
  ): Promise<BulkResult> {
    const body: WireBulkBody = { mode, [bulkField]: records };
    // A copy: the REST client writes Content-Length into the headers it is given.
    const { body: answer } = await this.call<unknown>(
      "POST",
      collection.slice(0, -1),
      { ...JSON_HEADERS },
      body,
    );
    return bulkAnswer(answer);
  }

  /** POST `{collection}query`: one page of every record, from the start when `token` is undefined. */
  async query(
    { collection, idKey }: WireCollection,
    pageSize: number,
    token: string | undefined,
  ): Promise<QueryPage> {
    const headers: Record<string, string | number> = { ...JSON_HEADERS, "x-ms-max-item-count": pageSize };
    if (token) headers["x-ms-continuation"] = token;
    const { body, headers: answer } = await this.call<unknown>("POST", `${collection}query`, headers, {
      query: "*",
    });
    const next = answer["x-ms-continuation"];
    return {
      items: recordsAnswer(body, idKey),
      token: typeof next === "string" && next ? next : undefined,
    };
  }
}
