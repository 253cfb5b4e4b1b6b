// Shared helpers of the emulator tests: start an emulator, get the official client for it, make raw
// HTTPS requests for what the client cannot express, and assert DPS error answers.
import assert from "node:assert/strict";
import type { IncomingHttpHeaders } from "node:http";
import { request } from "node:https";
import type { ProvisioningServiceClient } from "azure-iot-provisioning-service";
import type {
  BulkEnrollmentOperation,
  BulkEnrollmentOperationResult,
  IndividualEnrollment,
} from "azure-iot-provisioning-service/dist/interfaces";
import { createSasToken, startEmulator, type EmulatorHandle, type EmulatorOptions } from "../../emulator";
import { createServiceClient } from "../../provider/core/transport";

/** A symmetric key the service accepts (32 bytes, base64). */
export const KEY_A = Buffer.alloc(32, 1).toString("base64");
/** Another valid key. */
export const KEY_B = Buffer.alloc(32, 2).toString("base64");

/** Starts an emulator with the given options (defaults otherwise). */
export function start(options: EmulatorOptions = {}): Promise<EmulatorHandle> {
  return startEmulator(options);
}

/** The official client for `emu`, through the package's transport. */
export function clientFor(
  emu: EmulatorHandle,
  connectionString = emu.connectionString,
): ProvisioningServiceClient {
  return createServiceClient({ connectionString, endpoint: emu.endpoint, caCertificate: emu.caCertificate });
}

/** Connection string of a policy of `emu`. */
export function connectionStringFor(emu: EmulatorHandle, keyName: string, key?: string): string {
  const policy = emu.policies.find((p) => p.keyName === keyName);
  return `HostName=${emu.hostName};SharedAccessKeyName=${keyName};SharedAccessKey=${key ?? policy?.primaryKey ?? ""}`;
}

/** A valid SAS header for the emulator's first policy, expiring in an hour. */
export function sasFor(emu: EmulatorHandle, expiry = Math.floor(Date.now() / 1000) + 3600): string {
  const p = emu.policies[0];
  return createSasToken(emu.hostName, p.keyName, p.primaryKey, expiry);
}

/** The `Authorization` header of the emulator's control API (`/_emulator/`): its admin token. */
export function adminAuth(emu: EmulatorHandle): string {
  return `Bearer ${emu.adminToken}`;
}

/** A raw HTTPS answer. */
export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  json(): unknown;
}

/** Options of {@link raw}. */
export interface RawOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Authorization header; default a valid SAS; `null` sends none. */
  authorization?: string | null;
  /** A TLS client certificate (PEM, leaf first, with the chain to present) and its key. */
  clientCertificate?: { certificatePem: string; privateKeyPem: string };
}

/** Sends one HTTPS request to the emulator, trusting its CA, on a fresh connection. */
export function raw(emu: EmulatorHandle, path: string, options: RawOptions = {}): Promise<RawResponse> {
  const headers: Record<string, string> = { ...options.headers };
  const auth = options.authorization === undefined ? sasFor(emu) : options.authorization;
  if (auth !== null) headers.authorization = auth;
  if (options.body !== undefined) headers["content-length"] = String(Buffer.byteLength(options.body));
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port: emu.port,
        path,
        method: options.method ?? "GET",
        headers,
        ca: emu.caCertificatePem,
        cert: options.clientCertificate?.certificatePem,
        key: options.clientCertificate?.privateKeyPem,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text,
            json: () => JSON.parse(text) as unknown,
          });
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

/** The shape of the errors the official client rejects with. */
export type ClientError = Error & {
  response?: { statusCode?: number; headers: IncomingHttpHeaders };
  responseBody?: string;
};

/** A DPS error body. */
export interface DpsErrorBody {
  errorCode: number;
  message: string;
  trackingId: string;
  timestampUtc: string;
}

/**
 * Awaits `promise`, expects it to fail with an HTTP answer of `status` whose DPS error body has
 * `errorCode` (also in `x-ms-error-code`) and a message matching `message`. Returns the error.
 */
export async function expectDpsError(
  promise: Promise<unknown>,
  status: number,
  errorCode: number,
  message?: RegExp,
): Promise<ClientError> {
  let error: ClientError | undefined;
  try {
    await promise;
  } catch (err) {
    error = err as ClientError;
  }
  assert.ok(error, `expected an error answer ${status}`);
  assert.equal(error.response?.statusCode, status, `status; body: ${error.responseBody}`);
  const body = JSON.parse(error.responseBody ?? "{}") as DpsErrorBody;
  assert.equal(body.errorCode, errorCode);
  assert.equal(error.response?.headers["x-ms-error-code"], String(errorCode));
  assert.match(body.trackingId, /^[0-9a-f-]{36}$/);
  assert.ok(!Number.isNaN(Date.parse(body.timestampUtc)));
  if (message) {
    assert.match(body.message, message);
    // What a user of the client sees: the body text in the error message, except for 404 where the
    // client says only "Not found".
    if (status === 404) assert.equal(error.message, "Not found");
    else assert.match(error.message, message);
  }
  return error;
}

/** Checks a raw error answer like {@link expectDpsError}. */
export function expectRawError(res: RawResponse, status: number, errorCode: number, message?: RegExp): void {
  assert.equal(res.status, status, res.text);
  const body = res.json() as DpsErrorBody;
  // The recorded error body of the real DPS: these four fields, in this order, and no `info`.
  assert.deepEqual(Object.keys(body), ["errorCode", "trackingId", "message", "timestampUtc"]);
  assert.equal(res.headers["x-ms-request-id"], body.trackingId);
  assert.equal(body.errorCode, errorCode);
  assert.equal(res.headers["x-ms-error-code"], String(errorCode));
  if (message) assert.match(body.message, message);
}

/**
 * PUTs any object through the official client (tests send invalid bodies on purpose, which the
 * client's types would refuse). Resolves to the response body.
 */
export async function putEnrollment(
  client: ProvisioningServiceClient,
  body: object,
): Promise<IndividualEnrollment> {
  const result = await client.createOrUpdateIndividualEnrollment(body as IndividualEnrollment);
  return result.responseBody;
}

/**
 * Runs a bulk operation through the official client. Its promise form never settles (the client only
 * calls back when a callback was passed), so this uses the callback form.
 */
export function runBulk(
  client: ProvisioningServiceClient,
  operation: BulkEnrollmentOperation,
): Promise<BulkEnrollmentOperationResult> {
  return new Promise((resolve, reject) => {
    client.runBulkEnrollmentOperation(operation, (err, result) =>
      err ? reject(err) : resolve(result as BulkEnrollmentOperationResult),
    );
  });
}
