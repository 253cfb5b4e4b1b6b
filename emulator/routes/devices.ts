// The device registration API on the same endpoint: PUT /{idScope}/registrations/{id}/register,
// GET /{idScope}/registrations/{id}/operations/{operationId}, POST /{idScope}/registrations/{id}.
import { ADR_API_VERSION, hasAdrFields, storedAdrReference } from "../adr";
import { parseCsr, type CertificationRequest } from "../csr";
import { admitDevice, type Admission } from "../device/attest";
import { admitTpm, TpmKeys, usesTpm, type TpmOutcome } from "../device/tpmAttest";
import { deviceRegistrationView, Registrar, type IssuanceRequest } from "../device/registration";
import { clip, DpsError, ErrorCodes } from "../errors";
import type { Route, RouteRequest } from "../router";
import type { Runtime } from "../runtime";
import { isObject, type Json } from "../types";
import { validateRegistrationId } from "../validation";

/** The api-versions of the device API: those the official device SDKs send, and 2026-11-01 (`csr`). */
export const DEVICE_API_VERSIONS = ["2019-03-31", "2021-06-01", "2021-10-01", ADR_API_VERSION] as const;
/** Seconds a device is told to wait before polling an operation (the service says 3). */
export const POLL_SECONDS = 1;

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Checks the scope and the device's credentials; `body` is the registration request, if any. A TPM
 * device (a `tpm` body, or a TPM enrollment) may get a challenge instead of an admission.
 */
function admitAny(
  rt: Runtime,
  req: RouteRequest,
  body: Json | undefined,
  tpmKeys: TpmKeys,
  register = false,
): TpmOutcome {
  const [idScope, registrationId] = req.params;
  validateRegistrationId(registrationId);
  if (idScope.toLowerCase() !== rt.idScope.toLowerCase()) {
    throw new DpsError(
      401,
      ErrorCodes.unauthorized,
      `Unauthorized: the ID scope '${clip(idScope)}' is not this DPS's (${rt.idScope}).`,
    );
  }
  const tpm = isObject(body) ? body.tpm : undefined;
  if (tpm !== undefined || usesTpm(rt.store.get(registrationId))) {
    return admitTpm(rt.store, tpmKeys, {
      idScope: rt.idScope,
      registrationId,
      authorization: header(req.headers.authorization),
      tpm,
      register,
    });
  }
  const admission = admitDevice(
    rt.store,
    {
      idScope: rt.idScope,
      registrationId,
      authorization: header(req.headers.authorization),
      chain: req.peerCertificates(),
      tpm: false, // TPM devices went to admitTpm above
    },
    new Date(),
    rt.caCertificates,
  );
  return { admission };
}

/** As {@link admitAny}, for requests a challenge does not answer (polls, lookups): 401 instead. */
function admit(rt: Runtime, req: RouteRequest, body: Json | undefined, tpmKeys: TpmKeys): Admission {
  const outcome = admitAny(rt, req, body, tpmKeys);
  if ("admission" in outcome) return outcome.admission;
  throw new DpsError(401, ErrorCodes.unauthorized, String(outcome.challenge.message));
}

/** An optional registration request body (`DeviceRegistration`); its registrationId must match the path. */
async function registrationBody(req: RouteRequest): Promise<Json | undefined> {
  if (Number(header(req.headers["content-length"]) ?? 0) === 0 && !req.headers["transfer-encoding"])
    return undefined;
  const body = await req.json();
  if (!isObject(body))
    throw new DpsError(400, ErrorCodes.malformedBody, "The request body must be a JSON object.");
  if (body.payload !== undefined && body.payload !== null && !isObject(body.payload)) {
    throw new DpsError(400, ErrorCodes.malformedBody, "'payload' must be a JSON object.");
  }
  const id = body.registrationId;
  if (id !== undefined && (typeof id !== "string" || id.toLowerCase() !== req.params[1].toLowerCase())) {
    throw new DpsError(
      400,
      ErrorCodes.invalidRegistrationId,
      "The registrationId in the body does not match the one in the path.",
    );
  }
  return body;
}

function badCsr(message: string): DpsError {
  return new DpsError(400, ErrorCodes.invalidCsr, message);
}

/** The parsed, self-signature-verified request, or the 400 saying what is wrong with it. */
function verifiedCsr(base64: string): CertificationRequest {
  try {
    return parseCsr(base64);
  } catch (err) {
    throw badCsr(`'csr' is invalid: ${err instanceof Error ? err.message : String(err)}.`);
  }
}

/**
 * The certificate a registration asks for: a 2026-11-01 body's `csr` (older versions do not know the
 * field), verified, for an enrollment that names an ADR policy. Whether the emulator knows the policy
 * is checked at issuance, after allocation.
 */
function issuanceOf(
  version: string | null,
  body: Json | undefined,
  admission: Admission,
  registrationId: string,
): IssuanceRequest | undefined {
  if (!hasAdrFields(version) || !isObject(body) || body.csr === undefined || body.csr === null)
    return undefined;
  if (typeof body.csr !== "string") throw badCsr("'csr' must be a base64 DER PKCS#10 request (a string).");
  const policy = storedAdrReference(admission.record);
  if (!policy) {
    const by = admission.enrollmentGroupId
      ? `enrollment group '${admission.enrollmentGroupId}'`
      : "enrollment";
    throw badCsr(
      `'csr' was sent but the ${by} names no certificate policy: set namespaceName, ` +
        "certificateAuthorityName and certificatePolicyName on it (api-version 2026-11-01), or omit 'csr'.",
    );
  }
  const csr = verifiedCsr(body.csr);
  if (csr.commonName?.toLowerCase() !== registrationId.toLowerCase()) {
    throw badCsr(
      `'csr' names the subject CN '${csr.commonName ?? ""}'; it must be the registration id '${registrationId}'.`,
    );
  }
  return { policy, csr };
}

/** The device routes of `rt`. */
export function deviceRoutes(rt: Runtime): Route[] {
  const registrar = new Registrar({
    store: rt.store,
    linkedHubs: rt.linkedHubs,
    webhookCas: rt.webhookCas,
    adr: rt.adr,
  });
  const tpmKeys = new TpmKeys();
  const common = { operation: "registration", device: true, apiVersions: DEVICE_API_VERSIONS } as const;
  return [
    {
      ...common,
      method: "PUT",
      pattern: /^\/([^/]+)\/registrations\/([^/]+)\/register$/i,
      handler: async (req) => {
        const body = await registrationBody(req);
        const outcome = admitAny(rt, req, body, tpmKeys, true);
        // The service's TPM challenge: 401 with the activation blob (TpmChallenge of its SDKs).
        if ("challenge" in outcome) return { status: 401, body: outcome.challenge };
        const admission = outcome.admission;
        const payload = isObject(body) ? body.payload : undefined;
        const issuance = issuanceOf(req.query.get("api-version"), body, admission, req.params[1]);
        const operationId = registrar.start(admission, req.params[1], payload, issuance);
        return {
          status: 202,
          headers: { "retry-after": String(POLL_SECONDS) },
          body: { operationId, status: "assigning" },
        };
      },
    },
    {
      ...common,
      method: "GET",
      pattern: /^\/([^/]+)\/registrations\/([^/]+)\/operations\/([^/]+)$/i,
      handler: async (req) => {
        admit(rt, req, undefined, tpmKeys);
        const status = registrar.status(req.params[2], req.params[1]);
        if (!status) {
          throw new DpsError(
            404,
            ErrorCodes.registrationNotFound,
            `The operation '${clip(req.params[2])}' was not found.`,
          );
        }
        const done = status.status !== "assigning";
        return {
          status: done ? 200 : 202,
          headers: done ? {} : { "retry-after": String(POLL_SECONDS) },
          body: status,
        };
      },
    },
    {
      ...common,
      method: "POST",
      pattern: /^\/([^/]+)\/registrations\/([^/]+)$/i,
      handler: async (req) => {
        const body = await registrationBody(req);
        admit(rt, req, body, tpmKeys);
        if (hasAdrFields(req.query.get("api-version")) && isObject(body) && body.csr !== undefined) {
          throw badCsr(
            "'csr' is not allowed when looking up a registration; send it with the register request.",
          );
        }
        const stored = rt.store.getRegistration(req.params[1]);
        if (!stored) {
          throw new DpsError(
            404,
            ErrorCodes.registrationNotFound,
            `The device '${req.params[1]}' has not registered.`,
          );
        }
        return { status: 200, body: deviceRegistrationView(stored) };
      },
    },
  ];
}
