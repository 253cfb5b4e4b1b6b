// GET|PUT|DELETE /enrollments/{id}, POST /enrollments/{id}/attestationmechanism, GET|DELETE /registrations/{id}.
import { DpsError, ErrorCodes } from "../errors";
import type { Route } from "../router";
import type { Runtime } from "../runtime";
import { validateEnrollment, validateRegistrationId } from "../validation";
import { publicEnrollment } from "../view";
import type { JsonObject } from "../types";

/** The `If-Match` header, if sent. */
export function ifMatchHeader(value: string | string[] | undefined): string | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  return v === undefined || v === "" ? undefined : v;
}

/** Routes for single enrollments and registration states. */
export function enrollmentRoutes(rt: Runtime): Route[] {
  const view = (e: JsonObject): JsonObject =>
    publicEnrollment(e, rt.store.getRegistration(String(e.registrationId)));
  return [
    {
      method: "POST",
      pattern: /^\/enrollments\/([^/]+)\/attestationmechanism$/i,
      operation: "attestation",
      right: "EnrollmentRead",
      handler: async ({ params: [id] }) => ({ status: 200, body: rt.store.require(id).attestation }),
    },
    {
      method: "GET",
      pattern: /^\/enrollments\/([^/]+)$/i,
      operation: "get",
      right: "EnrollmentRead",
      handler: async ({ params: [id] }) => ({ status: 200, body: view(rt.store.require(id)) }),
    },
    {
      method: "PUT",
      pattern: /^\/enrollments\/([^/]+)$/i,
      operation: "put",
      right: "EnrollmentWrite",
      handler: async ({ params: [id], headers, json }) => {
        const enrollment = validateEnrollment(await json(), id, rt.linkedHubs);
        const { enrollment: stored } = rt.store.put(id, enrollment, ifMatchHeader(headers["if-match"]));
        return { status: 200, body: view(stored) };
      },
    },
    {
      method: "DELETE",
      pattern: /^\/enrollments\/([^/]+)$/i,
      operation: "delete",
      right: "EnrollmentWrite",
      handler: async ({ params: [id], headers }) => {
        validateRegistrationId(id);
        rt.store.delete(id, ifMatchHeader(headers["if-match"]));
        return { status: 204 };
      },
    },
    {
      method: "GET",
      pattern: /^\/registrations\/([^/]+)$/i,
      operation: "registration",
      right: "RegistrationStatusRead",
      handler: async ({ params: [id] }) => {
        const state = rt.store.getRegistration(id);
        if (!state) {
          throw new DpsError(
            404,
            ErrorCodes.registrationNotFound,
            `Registration state for '${id}' was not found.`,
          );
        }
        return { status: 200, body: state };
      },
    },
    {
      method: "DELETE",
      pattern: /^\/registrations\/([^/]+)$/i,
      operation: "registration",
      right: "RegistrationStatusWrite",
      handler: async ({ params: [id] }) => {
        if (!rt.store.deleteRegistration(id)) {
          throw new DpsError(
            404,
            ErrorCodes.registrationNotFound,
            `Registration state for '${id}' was not found.`,
          );
        }
        return { status: 204 };
      },
    },
  ];
}
