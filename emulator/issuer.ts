// A stand-in for the Azure App Service managed-identity endpoint, so DefaultAzureCredential can get
// tokens the emulator accepts. Tokens are HS256 JWTs signed with a per-run random secret.
import { randomBytes, randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { SignJWT, jwtVerify, type JWTPayload } from "jose";

/** The audience DPS data-plane tokens carry (scope `https://azure-devices-provisioning.net/.default`). */
export const DPS_AUDIENCE = "https://azure-devices-provisioning.net";

/** The `iss` claim of test-issuer tokens. */
export const TEST_ISSUER = "https://dps-emulator.invalid/test-issuer";

/** Options for {@link mintToken}. */
export interface MintOptions {
  /** `aud` claim; default {@link DPS_AUDIENCE}. */
  audience?: string;
  /** Lifetime in seconds (negative for an already expired token); default 900. */
  expiresInSeconds?: number;
  /** `sub`/`oid` claim; default a random id. */
  subject?: string;
}

/** Mints an HS256 JWT signed with `secret`, as the test issuer does. */
export async function mintToken(secret: Uint8Array, options: MintOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const subject = options.subject ?? randomUUID();
  return new SignJWT({ oid: subject })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuer(TEST_ISSUER)
    .setAudience(options.audience ?? DPS_AUDIENCE)
    .setSubject(subject)
    .setIssuedAt(now)
    .setExpirationTime(now + (options.expiresInSeconds ?? 900))
    .sign(secret);
}

/** Verifies a test-issuer token (signature, audience, issuer, expiry); throws when it does not verify. */
export async function verifyToken(secret: Uint8Array, token: string): Promise<JWTPayload> {
  const { payload } = await jwtVerify(token, secret, {
    algorithms: ["HS256"],
    audience: DPS_AUDIENCE,
    issuer: TEST_ISSUER,
  });
  return payload;
}

/** A running test issuer. */
export interface TestIssuer {
  /** `http://127.0.0.1:PORT/msi/token`: the value for the `IDENTITY_ENDPOINT` environment variable. */
  identityEndpoint: string;
  /** The secret the caller must send as `X-IDENTITY-HEADER`: the value for `IDENTITY_HEADER`. */
  identityHeader: string;
  /** The `client_id` reported in token answers. */
  clientId: string;
  /** The HS256 signing secret. */
  secret: Uint8Array;
  /** Mints a token directly, without HTTP. */
  mintToken(options?: MintOptions): Promise<string>;
  /** Stops the HTTP server. */
  close(): Promise<void>;
}

function answer(res: ServerResponse, status: number, body: object): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

/**
 * One signing secret per process, shared by every emulator started in it: MSAL (inside
 * DefaultAzureCredential) caches managed-identity tokens for the whole process, so a token minted by
 * one emulator's issuer must also verify at the next emulator the same process starts.
 */
const processSecret = new Uint8Array(randomBytes(32));

/** Starts the plain-HTTP managed-identity endpoint on 127.0.0.1 (a random port). */
export async function startTestIssuer(lifetimeSeconds = 900): Promise<TestIssuer> {
  const secret = processSecret;
  const identityHeader = randomBytes(16).toString("hex");
  const clientId = randomUUID();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (req.method !== "GET") return answer(res, 405, { error: "method_not_allowed" });
    if (req.headers["x-identity-header"] !== identityHeader) {
      return answer(res, 401, {
        error: "unauthorized",
        error_description: "X-IDENTITY-HEADER missing or wrong",
      });
    }
    if (url.searchParams.get("api-version") !== "2019-08-01") {
      return answer(res, 400, {
        error: "invalid_request",
        error_description: "api-version must be 2019-08-01",
      });
    }
    const resource = url.searchParams.get("resource");
    if (!resource)
      return answer(res, 400, { error: "invalid_request", error_description: "resource is required" });
    // The audience is the resource as asked, so a token for another resource is refused by the emulator.
    const audience = resource.replace(/\/\.default$/, "").replace(/\/$/, "");
    const token = await mintToken(secret, { audience, expiresInSeconds: lifetimeSeconds, subject: clientId });
    answer(res, 200, {
      access_token: token,
      expires_on: String(Math.floor(Date.now() / 1000) + lifetimeSeconds),
      resource,
      token_type: "Bearer",
      client_id: clientId,
    });
  };
  const server = createServer((req, res) => {
    handle(req, res).catch(() => answer(res, 500, { error: "server_error" }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    identityEndpoint: `http://127.0.0.1:${port}/msi/token`,
    identityHeader,
    clientId,
    secret,
    mintToken: (options) => mintToken(secret, options),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
