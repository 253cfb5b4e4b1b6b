// GET|PUT|DELETE /enrollments/{id}, POST /enrollments/{id}/attestationmechanism, GET|DELETE /registrations/{id},
// and the same single-record routes for any other kind (enrollment groups).
import { registrationStateView } from "../device/registration";
import { DpsError, ErrorCodes } from "../errors";
import type { Route } from "../router";
import type { Runtime } from "../runtime";
import { validateRegistrationId } from "../validation";
import { meetConcurrentWriter } from "./concurrent";
import { ENROLLMENT_ROUTES, type RouteKind, validateRecord, viewRecord } from "./kinds";

/** The `If-Match` header, if sent. */
export function ifMatchHeader(value: string | string[] | undefined): string | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  return v === undefined || v === "" ? undefined : v;
}

/** GET|PUT|DELETE /{segment}/{id} and POST /{segment}/{id}/attestationmechanism for `kind`. */
export function recordRoutes(rt: Runtime, kind: RouteKind): Route[] {
  const records = kind.records(rt);
  const one = new RegExp(`^/${kind.segment}/([^/]+)$`, "i");
  return [
    {
      method: "POST",
      pattern: new RegExp(`^/${kind.segment}/([^/]+)/attestationmechanism$`, "i"),
      operation: "attestation",
      right: "EnrollmentRead",
      handler: async ({ params: [id] }) => ({ status: 200, body: records.require(id).attestation }),
    },
    {
      method: "GET",
      pattern: one,
      operation: "get",
      right: "EnrollmentRead",
      handler: async ({ params: [id], query }) => ({
        status: 200,
        body: viewRecord(rt, kind, records.require(id), query.get("api-version"), "read"),
      }),
    },
    {
      method: "PUT",
      pattern: one,
      operation: "put",
      right: "EnrollmentWrite",
      handler: async ({ params: [id], headers, json, query }) => {
        const version = query.get("api-version");
        const record = validateRecord(rt, kind, await json(), id, version);
        meetConcurrentWriter(rt, kind, [id]);
        const { enrollment: stored } = records.put(id, record, ifMatchHeader(headers["if-match"]));
        return { status: 200, body: viewRecord(rt, kind, stored, version, "write") };
      },
    },
    {
      method: "DELETE",
      pattern: one,
      operation: "delete",
      right: "EnrollmentWrite",
      handler: async ({ params: [id], headers }) => {
        validateRegistrationId(id);
        meetConcurrentWriter(rt, kind, [id]);
        records.delete(id, ifMatchHeader(headers["if-match"]));
        return { status: 204 };
      },
    },
  ];
}

/** Routes for single enrollments and registration states. */
export function enrollmentRoutes(rt: Runtime): Route[] {
  return [
    ...recordRoutes(rt, ENROLLMENT_ROUTES),
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
        return { status: 200, body: registrationStateView(state) };
      },
    },
    {
      method: "POST",
      pattern: /^\/registrations\/([^/]+)\/query$/i,
      operation: "registration",
      right: "RegistrationStatusRead",
      handler: async ({ params: [groupId] }) => {
        rt.store.groups.require(groupId);
        return {
          status: 200,
          headers: { "x-ms-item-type": "DeviceRegistration" },
          body: rt.store.registrationsOfGroup(groupId).map(registrationStateView),
        };
      },
    },
    {
      method: "DELETE",
      pattern: /^\/registrations\/([^/]+)$/i,
      operation: "registration",
      right: "RegistrationStatusWrite",
      handler: async ({ params: [id], headers }) => {
        const state = rt.store.getRegistration(id);
        const ifMatch = ifMatchHeader(headers["if-match"]);
        if (state && ifMatch !== undefined && ifMatch !== "*" && ifMatch !== state.etag) {
          throw new DpsError(
            412,
            ErrorCodes.preconditionFailed,
            `The etag '${ifMatch}' does not match the registration state's.`,
          );
        }
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
