// Pure helpers behind `provider/azure/dps.ts`: parsing a DPS resource id, choosing the shared access
// policy the way `Set-AzIoTDeviceProvisioningServiceEnrollment` does, and building the connection
// string. No Pulumi and no azure-native here, so they are unit-tested directly.

/** The parts of an Azure Resource Manager id of a DPS (`Microsoft.Devices/provisioningServices`). */
export interface DpsResourceIdParts {
  /** The subscription id (the segment after `/subscriptions/`). */
  subscriptionId: string;
  /** The resource group name (the segment after `/resourceGroups/`), as written in the id. */
  resourceGroupName: string;
  /** The DPS name (the segment after `/provisioningServices/`), as written in the id. */
  dpsName: string;
}

/** The shape every DPS resource id must have; quoted in the error for a malformed id. */
export const DPS_RESOURCE_ID_SHAPE =
  "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Devices/provisioningServices/{dpsName}";

/**
 * Splits a DPS resource id into subscription, resource group and DPS name.
 *
 * The keywords (`subscriptions`, `resourceGroups`, `providers`, `Microsoft.Devices`,
 * `provisioningServices`) match case-insensitively, as ARM and the cmdlet's `ResourceIdSet` do;
 * the names are returned as written. Surrounding white space and one trailing `/` are ignored.
 *
 * @param id - An id such as `/subscriptions/0000.../resourceGroups/rg/providers/Microsoft.Devices/provisioningServices/my-dps`.
 * @returns The three names.
 * @throws Error naming the expected shape when `id` is not exactly a DPS resource id (another resource
 * type, a child resource such as a certificate, a missing or empty segment).
 */
export function parseDpsResourceId(id: string): DpsResourceIdParts {
  const fail = (why: string): never => {
    throw new Error(
      `Invalid DPS resource id ${JSON.stringify(id)}: ${why}. Expected ${DPS_RESOURCE_ID_SHAPE}.`,
    );
  };
  if (typeof id !== "string") return fail("not a string");
  let text = id.trim();
  if (text.endsWith("/")) text = text.slice(0, -1);
  if (!text.startsWith("/")) return fail("it must start with /subscriptions/");
  const segments = text.slice(1).split("/");
  const expected = [
    "subscriptions",
    "",
    "resourcegroups",
    "",
    "providers",
    "microsoft.devices",
    "provisioningservices",
    "",
  ];
  if (segments.length !== expected.length) {
    return fail(`it has ${segments.length} segments, a DPS resource id has ${expected.length}`);
  }
  segments.forEach((segment, i) => {
    const keyword = expected[i];
    if (keyword === "") {
      if (segment.trim() === "") fail(`the segment after /${segments[i - 1]}/ is empty`);
    } else if (segment.toLowerCase() !== keyword) {
      fail(
        `found ${JSON.stringify(segment)} where ${JSON.stringify(DPS_RESOURCE_ID_SHAPE.split("/")[i + 1])} belongs`,
      );
    }
  });
  return { subscriptionId: segments[1], resourceGroupName: segments[3], dpsName: segments[7] };
}

/**
 * A DPS shared access policy as ARM lists it (`listIotDpsResourceKeys`). Structurally compatible with
 * azure-native's `SharedAccessSignatureAuthorizationRuleAccessRightsDescriptionResponse`.
 */
export interface SharedAccessPolicy {
  /** The policy name, used as `SharedAccessKeyName`. */
  keyName: string;
  /** Comma-separated rights, e.g. `"ServiceConfig, EnrollmentRead, EnrollmentWrite"`. */
  rights: string;
  /** The primary key (base64). Only the list-keys call returns it. */
  primaryKey?: string;
  /** The secondary key (base64). */
  secondaryKey?: string;
}

/** The message of `Set-AzIoTDeviceProvisioningServiceEnrollment` when no policy can write enrollments. */
export const MISSING_ENROLLMENT_WRITE_POLICY = "Missing shared access policy for EnrollmentWrite permission.";

/**
 * Whether a comma-separated rights string contains a right. Rights compare as whole words,
 * case-insensitively, ignoring white space (`"ServiceConfig, EnrollmentWrite"` has `EnrollmentWrite`).
 *
 * @param rights - The policy's `rights` string.
 * @param right - The right to look for, e.g. `"EnrollmentWrite"`.
 */
export function hasRight(rights: string | undefined, right: string): boolean {
  if (typeof rights !== "string") return false;
  const wanted = right.toLowerCase();
  return rights.split(",").some((r) => r.trim().toLowerCase() === wanted);
}

/**
 * Picks the first policy whose rights include `EnrollmentWrite`, in the order ARM lists them, as the
 * cmdlet does.
 *
 * @param policies - The DPS's shared access policies (`listIotDpsResourceKeys(...).value`).
 * @returns The chosen policy.
 * @throws Error with exactly {@link MISSING_ENROLLMENT_WRITE_POLICY} when none qualifies.
 */
export function pickEnrollmentWritePolicy<T extends SharedAccessPolicy>(
  policies: readonly T[] | undefined,
): T {
  const policy = (policies ?? []).find((p) => hasRight(p.rights, "EnrollmentWrite"));
  if (policy === undefined) throw new Error(MISSING_ENROLLMENT_WRITE_POLICY);
  return policy;
}

/**
 * Builds `HostName={hostName};SharedAccessKeyName={keyName};SharedAccessKey={key}`.
 *
 * @param hostName - The DPS service host name (`properties.serviceOperationsHostName`).
 * @param keyName - The shared access policy name.
 * @param key - The policy's key (base64).
 * @throws Error when a part is empty or contains `;` (it would not parse back).
 */
export function buildConnectionString(hostName: string, keyName: string, key: string): string {
  const parts: [string, string][] = [
    ["HostName", hostName],
    ["SharedAccessKeyName", keyName],
    ["SharedAccessKey", key],
  ];
  for (const [name, value] of parts) {
    if (typeof value !== "string" || value.trim() === "") {
      throw new Error(`Cannot build a DPS connection string: ${name} is empty.`);
    }
    if (value.includes(";")) throw new Error(`Cannot build a DPS connection string: ${name} contains ";".`);
  }
  return parts.map(([name, value]) => `${name}=${value}`).join(";");
}

/**
 * The cmdlet's whole credential step: pick the EnrollmentWrite policy and build the connection string
 * from its primary key.
 *
 * @param hostName - The DPS service host name.
 * @param policies - The DPS's shared access policies with keys.
 * @throws Error {@link MISSING_ENROLLMENT_WRITE_POLICY} when no policy qualifies, or a clear error when the
 * chosen policy came without its key (policies read from the resource itself carry no keys; use the
 * list-keys call).
 */
export function connectionStringFromPolicies(
  hostName: string,
  policies: readonly SharedAccessPolicy[] | undefined,
): string {
  const policy = pickEnrollmentWritePolicy(policies);
  if (typeof policy.primaryKey !== "string" || policy.primaryKey === "") {
    throw new Error(
      `Shared access policy ${JSON.stringify(policy.keyName)} has EnrollmentWrite but no primary key was returned; ` +
        "list the keys with listIotDpsResourceKeys.",
    );
  }
  return buildConnectionString(hostName, policy.keyName, policy.primaryKey);
}
