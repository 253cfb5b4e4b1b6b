/** Enrollment records as state holds them, for the pure tests of diff, drift and previews. */
import type { EnrollmentView } from "../../provider/core/types";

/**
 * A symmetric-key individual enrollment as the provider stores it: its keys kept, the service's
 * defaults read back, tags `{ env: "dev" }`, etag `"1"`; `extra` over it.
 */
export function symmetricKeyRecord(
  registrationId: string,
  extra: Partial<EnrollmentView> = {},
): EnrollmentView {
  return {
    registrationId,
    attestation: { type: "symmetricKey", primaryKey: "a2V5MQ==", secondaryKey: "a2V5Mg==" },
    provisioningStatus: "Enabled",
    reprovisionPolicy: "reprovisionandmigratedata",
    edgeEnabled: false,
    tags: { env: "dev" },
    desired: {},
    etag: '"1"',
    ...extra,
  };
}
