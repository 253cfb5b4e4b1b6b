// Build an enrollment's `connection` from @pulumi/azure-native, the three ways
// `Set-AzIoTDeviceProvisioningServiceEnrollment` accepts a DPS (ResourceSet, InputObjectSet,
// ResourceIdSet). @pulumi/azure-native is an optional peer dependency: only types are imported
// statically, the module itself is required when one of these functions runs.
import * as pulumi from "@pulumi/pulumi";
import type {
  GetIotDpsResourceResult,
  IotDpsResource,
  ListIotDpsResourceKeysResult,
} from "@pulumi/azure-native/deviceprovisioningservices";
import type { DpsConnection, DpsFacts } from "../core/connection";
import { connectionStringFromPolicies, parseDpsResourceId } from "./resourceId";

type DpsModule = typeof import("@pulumi/azure-native/deviceprovisioningservices");

/** What the helpers resolve to: the enrollment's `connection` input. */
export type AzureDpsConnection = DpsConnection & DpsFacts;

/** Options of {@link dpsConnection}, {@link dpsConnectionFromResource} and {@link dpsConnectionFromResourceId}. */
export interface DpsConnectionOptions {
  /**
   * `"key"` (default): look up the DPS's shared access policies and use the first with EnrollmentWrite,
   * as the cmdlet does; the connection string is a secret.
   * `"entra"`: `{ hostName, credential: "default" }`; the provider authenticates with
   * `DefaultAzureCredential` at run time (scope `https://azure-devices-provisioning.net/.default`), and no
   * key is read or stored. The identity needs a DPS data-plane role such as
   * "Device Provisioning Service Data Contributor".
   */
  auth?: "key" | "entra";
  /** Options for the azure-native invokes (`getIotDpsResource`, `listIotDpsResourceKeys`), e.g. an explicit provider. */
  invokeOptions?: pulumi.InvokeOutputOptions;
}

/** A DPS named by resource group and name (the cmdlet's `ResourceSet`). */
export interface DpsNames {
  /** The resource group of the DPS. */
  resourceGroupName: pulumi.Input<string>;
  /** The DPS name (`provisioningServiceName`). */
  dpsName: pulumi.Input<string>;
}

/**
 * The parts of a DPS description these helpers read. An azure-native `IotDpsResource` has them, and so
 * has the `Output` of `getIotDpsResourceOutput(...)` (its properties lift).
 */
export interface DpsDescription {
  /** The ARM id; the resource group is parsed from it when not given. */
  id: pulumi.Input<string>;
  /** The DPS name. */
  name: pulumi.Input<string>;
  /** `serviceOperationsHostName` and the linked hubs (`iotHubs[].name` are hub host names). */
  properties: pulumi.Input<
    Pick<GetIotDpsResourceResult["properties"], "serviceOperationsHostName" | "iotHubs">
  >;
}

function loadDpsModule(): DpsModule {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require("@pulumi/azure-native/deviceprovisioningservices") as DpsModule;
  } catch (err) {
    throw new Error(
      "pulumi-dps-enrollments: the azure-native helpers need @pulumi/azure-native (>=3 <4); " +
        "install it next to this package (npm install @pulumi/azure-native).",
      { cause: err },
    );
  }
}

/** Host names of the linked hubs, or undefined when the description does not say (no validation then). */
function linkedHubNames(
  properties: Pick<GetIotDpsResourceResult["properties"], "iotHubs">,
): string[] | undefined {
  if (!Array.isArray(properties.iotHubs)) return undefined;
  return properties.iotHubs.map((h) => h.name).filter((n): n is string => typeof n === "string" && n !== "");
}

function withHubs(connection: DpsConnection, hubs: string[] | undefined): AzureDpsConnection {
  return hubs === undefined ? connection : { ...connection, linkedHubs: hubs };
}

/** The common tail: a host name, the DPS's names for the key lookup, the linked hubs. */
function resolve(
  hostName: pulumi.Input<string>,
  names: { resourceGroupName: pulumi.Input<string>; dpsName: pulumi.Input<string> },
  hubs: pulumi.Input<string[] | undefined>,
  opts: DpsConnectionOptions | undefined,
): pulumi.Output<AzureDpsConnection> {
  const auth = opts?.auth ?? "key";
  if (auth === "entra") {
    return pulumi
      .all([hostName, hubs])
      .apply(([h, linked]) => withHubs({ hostName: h, credential: "default" }, linked));
  }
  if (auth !== "key") throw new Error(`Unknown auth ${JSON.stringify(auth)}: use "key" or "entra".`);
  const keys: pulumi.Output<ListIotDpsResourceKeysResult> = loadDpsModule().listIotDpsResourceKeysOutput(
    { resourceGroupName: names.resourceGroupName, provisioningServiceName: names.dpsName },
    opts?.invokeOptions,
  );
  return pulumi.secret(
    pulumi
      .all([hostName, keys, hubs])
      .apply(([h, k, linked]) =>
        withHubs({ connectionString: connectionStringFromPolicies(h, k.value) }, linked),
      ),
  );
}

/**
 * The enrollment's `connection` for a DPS named by resource group and name: replaces the cmdlet's
 * `ResourceSet` (`-ResourceGroupName rg -DpsName dps`).
 *
 * Reads the DPS (`getIotDpsResource`) for its service host name and linked hubs and, with key auth,
 * its shared access policies (`listIotDpsResourceKeys`), taking the first with EnrollmentWrite.
 * Outputs of a DPS in the same program work: the lookups wait for it.
 *
 * @param names - `{ resourceGroupName, dpsName }`, plain or Outputs.
 * @param opts - `auth` (`"key"` by default, or `"entra"`), `invokeOptions`.
 * @returns The connection; secret with key auth. It fails with
 * "Missing shared access policy for EnrollmentWrite permission." when no policy qualifies.
 */
export function dpsConnection(
  names: DpsNames,
  opts?: DpsConnectionOptions,
): pulumi.Output<AzureDpsConnection> {
  return fromNames(names, undefined, opts);
}

/** {@link dpsConnection}, checking that the DPS found is in `subscriptionId` when one is given. */
function fromNames(
  names: DpsNames,
  subscriptionId: pulumi.Input<string> | undefined,
  opts: DpsConnectionOptions | undefined,
): pulumi.Output<AzureDpsConnection> {
  const description = loadDpsModule().getIotDpsResourceOutput(
    { resourceGroupName: names.resourceGroupName, provisioningServiceName: names.dpsName },
    opts?.invokeOptions,
  );
  const properties = pulumi.all([description, subscriptionId]).apply(([found, wanted]) => {
    if (wanted !== undefined && typeof found.id === "string") {
      const actual = parseDpsResourceId(found.id).subscriptionId;
      if (actual.toLowerCase() !== wanted.toLowerCase()) {
        throw new Error(
          `The DPS resource id names subscription ${wanted}, but the azure-native provider found ${found.id}; ` +
            "pass invokeOptions: { provider } with an azure-native Provider for that subscription.",
        );
      }
    }
    return found.properties;
  });
  return resolve(properties.serviceOperationsHostName, names, properties.apply(linkedHubNames), opts);
}

/**
 * The enrollment's `connection` for a DPS resource object: replaces the cmdlet's `InputObjectSet`
 * (`-DpsObject $dps`).
 *
 * The host name and the linked hubs come from the object itself, so `check` can reject unlinked hubs
 * at preview time whenever the DPS is known; with key auth the keys are listed (`listIotDpsResourceKeys`).
 *
 * @param dps - An azure-native `deviceprovisioningservices.IotDpsResource` (or any {@link DpsDescription}).
 * @param resourceGroupName - Its resource group; when omitted, parsed from `dps.id`.
 * @param opts - `auth` (`"key"` by default, or `"entra"`), `invokeOptions`.
 * @returns The connection; secret with key auth.
 */
export function dpsConnectionFromResource(
  dps: IotDpsResource | DpsDescription,
  resourceGroupName?: pulumi.Input<string>,
  opts?: DpsConnectionOptions,
): pulumi.Output<AzureDpsConnection> {
  const properties = pulumi.output(dps.properties);
  const group =
    resourceGroupName ??
    pulumi.output(dps.id).apply((id: string) => parseDpsResourceId(id).resourceGroupName);
  return resolve(
    properties.serviceOperationsHostName,
    { resourceGroupName: group, dpsName: dps.name },
    properties.apply(linkedHubNames),
    opts,
  );
}

/**
 * The enrollment's `connection` for a DPS resource id: replaces the cmdlet's `ResourceIdSet`
 * (`-ResourceId /subscriptions/.../provisioningServices/dps`).
 *
 * The resource group and name are parsed case-insensitively (see {@link parseDpsResourceId}); a plain
 * malformed id throws right away, an Output one fails when it resolves. Then as {@link dpsConnection}; the
 * DPS is looked up through the azure-native provider's subscription, and a DPS found in another
 * subscription than the id names is an error (pass `invokeOptions.provider` for that subscription).
 *
 * @param id - The DPS resource id, plain or an Output (e.g. `dps.id`).
 * @param opts - `auth` (`"key"` by default, or `"entra"`), `invokeOptions`.
 * @returns The connection; secret with key auth.
 */
export function dpsConnectionFromResourceId(
  id: pulumi.Input<string>,
  opts?: DpsConnectionOptions,
): pulumi.Output<AzureDpsConnection> {
  if (typeof id === "string") {
    const { subscriptionId, resourceGroupName, dpsName } = parseDpsResourceId(id);
    return fromNames({ resourceGroupName, dpsName }, subscriptionId, opts);
  }
  // Parse first, so a malformed id fails with its own error before any lookup is attempted.
  return pulumi.output(id).apply((text) => {
    const { subscriptionId, resourceGroupName, dpsName } = parseDpsResourceId(text);
    return fromNames({ resourceGroupName, dpsName }, subscriptionId, opts);
  });
}
