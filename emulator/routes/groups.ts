// Enrollment groups: GET|PUT|DELETE /enrollmentGroups/{id}, POST .../attestationmechanism,
// POST /enrollmentGroups (bulk) and POST /enrollmentGroups/query, on the routes individual
// enrollments use.
import type { Route } from "../router";
import type { Runtime } from "../runtime";
import { bulkRoutes } from "./bulk";
import { recordRoutes } from "./enrollments";
import { GROUP_ROUTES } from "./kinds";
import { queryRoutes } from "./query";

/** Every enrollment group route. The query route comes first: `query` is not a group id. */
export function groupRoutes(rt: Runtime): Route[] {
  return [
    ...queryRoutes(rt, GROUP_ROUTES),
    ...bulkRoutes(rt, GROUP_ROUTES),
    ...recordRoutes(rt, GROUP_ROUTES),
  ];
}
