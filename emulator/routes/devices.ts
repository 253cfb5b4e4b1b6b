// The device registration API on the same endpoint: PUT /{idScope}/registrations/{id}/register,
// GET /{idScope}/registrations/{id}/operations/{operationId}, POST /{idScope}/registrations/{id}.
import { admitDevice, type Admission } from "../device/attest";
import { deviceRegistrationView, Registrar } from "../device/registration";
import { DpsError, ErrorCodes } from "../errors";
import type { Route, RouteRequest } from "../router";
import type { Runtime } from "../runtime";
import { isObject, type Json } from "../types";
import { validateRegistrationId } from "../validation";

/** The api-versions of the device API the official device SDKs send. */
export const DEVICE_API_VERSIONS = ["2019-03-31", "2021-06-01", "2021-10-01"] as const;
/** Seconds a device is told to wait before polling an operation (the service says 3). */
export const POLL_SECONDS = 1;

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Checks the scope and the device's credentials; `body` is the registration request, if any. */
function admit(rt: Runtime, req: RouteRequest, body: Json | undefined): Admission {
  const [idScope, registrationId] = req.params;
  validateRegistrationId(registrationId);
  if (idScope.toLowerCase() !== rt.idScope.toLowerCase()) {
    throw new DpsError(
      401,
      ErrorCodes.unauthorized,
      `Unauthorized: the ID scope '${idScope}' is not this DPS's (${rt.idScope}).`,
    );
  }
  return admitDevice(
    rt.store,
    {
      idScope: rt.idScope,
      registrationId,
      authorization: header(req.headers.authorization),
      chain: req.peerCertificates(),
      tpm: isObject(body) && body.tpm !== undefined,
    },
    new Date(),
    rt.caCertificates,
  );
}

/** An optional registration request body (`DeviceRegistration`); its registrationId must match the path. */
async function registrationBody(req: RouteRequest): Promise<Json | undefined> {
  if (Number(header(req.headers["content-length"]) ?? 0) === 0 && !req.headers["transfer-encoding"])
    return undefined;
  const body = await req.json();
  if (!isObject(body))
    throw new DpsError(400, ErrorCodes.malformedBody, "The request body must be a JSON object.");
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

/** The device routes of `rt`. */
export function deviceRoutes(rt: Runtime): Route[] {
  const registrar = new Registrar({ store: rt.store, linkedHubs: rt.linkedHubs, webhookCas: rt.webhookCas });
  const common = { operation: "registration", device: true, apiVersions: DEVICE_API_VERSIONS } as const;
  return [
    {
      ...common,
      method: "PUT",
      pattern: /^\/([^/]+)\/registrations\/([^/]+)\/register$/i,
      handler: async (req) => {
        const body = await registrationBody(req);
        const admission = admit(rt, req, body);
        const payload = isObject(body) ? body.payload : undefined;
        const operationId = registrar.start(admission, req.params[1], payload);
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
        admit(rt, req, undefined);
        const status = registrar.status(req.params[2], req.params[1]);
        if (!status) {
          throw new DpsError(
            404,
            ErrorCodes.registrationNotFound,
            `The operation '${req.params[2]}' was not found.`,
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
        admit(rt, req, await registrationBody(req));
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
