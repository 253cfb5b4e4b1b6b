// The whole example as a function, so that test/azure/wiring.test.ts can run it under
// `pulumi.runtime.setMocks`; index.ts calls it with the stack's configuration.
import * as pulumi from "@pulumi/pulumi";
import * as deviceprovisioningservices from "@pulumi/azure-native/deviceprovisioningservices";
import * as deviceregistry from "@pulumi/azure-native/deviceregistry";
import * as iothub from "@pulumi/azure-native/iothub";
import * as resources from "@pulumi/azure-native/resources";
import {
  EnrollmentGroup,
  IndividualEnrollment,
  dpsConnection,
  dpsConnectionFromResource,
  dpsConnectionFromResourceId,
} from "pulumi-dps-enrollments";

/** Settings of the example (all optional). */
export interface AzureExampleSettings {
  /** Azure region of every resource. Default `westeurope`. */
  location?: string;
  /** Prefix of the enrollments' registration ids. Default `example`. */
  prefix?: string;
}

/** What the example creates, for `index.ts` to export and the wiring test to inspect. */
export interface AzureExample {
  /** The resource group. */
  resourceGroup: resources.ResourceGroup;
  /** The IoT hub the devices are assigned to. */
  hub: iothub.IotHubResource;
  /** The DPS, with the hub linked. */
  dps: deviceprovisioningservices.IotDpsResource;
  /** The enrollments, by the way they reference the DPS. */
  enrollments: {
    /** `-ResourceGroupName rg -DpsName dps` (ResourceSet). */
    byNames: IndividualEnrollment;
    /** `-DpsObject $dps` (InputObjectSet). */
    byObject: IndividualEnrollment;
    /** `-ResourceId /subscriptions/.../provisioningServices/dps` (ResourceIdSet). */
    byResourceId: IndividualEnrollment;
    /** Microsoft Entra auth: no key at all, the provider uses DefaultAzureCredential. */
    entra: IndividualEnrollment;
  };
  /** Azure Device Registry: the namespace, its CA (credential), a certificate policy, and a group whose devices get certificates under it. */
  adr: {
    /** The ADR namespace. */
    namespace: deviceregistry.Namespace;
    /** The namespace's certificate authority. */
    credential: deviceregistry.Credential;
    /** The policy that issues the devices' operational certificates. */
    policy: deviceregistry.Policy;
    /** An enrollment group naming the policy (data plane 2026-11-01). */
    group: EnrollmentGroup;
  };
}

/**
 * Creates a resource group, an IoT hub, a DPS linked to the hub, and four enrollments.
 *
 * @param settings - Location and registration id prefix.
 */
export function azureExample(settings: AzureExampleSettings = {}): AzureExample {
  const location = settings.location ?? "westeurope";
  const prefix = settings.prefix ?? "example";

  const resourceGroup = new resources.ResourceGroup("dps-enrollments", { location });

  const hub = new iothub.IotHubResource("hub", {
    resourceGroupName: resourceGroup.name,
    location,
    sku: { name: iothub.IotHubSku.S1, capacity: 1 },
  });

  // Linking a hub to a DPS takes a hub connection string with registry rights (iothubowner).
  const hubKeys = iothub.listIotHubResourceKeysOutput({
    resourceGroupName: resourceGroup.name,
    resourceName: hub.name,
  });
  const hubConnectionString = pulumi.secret(
    pulumi.all([hub.properties.hostName, hubKeys.value]).apply(([hostName, policies]) => {
      const owner = (policies ?? []).find((p) => p.keyName === "iothubowner");
      if (!owner?.primaryKey) throw new Error(`IoT hub ${hostName} has no iothubowner policy with a key.`);
      return `HostName=${hostName};SharedAccessKeyName=${owner.keyName};SharedAccessKey=${owner.primaryKey}`;
    }),
  );

  const dps = new deviceprovisioningservices.IotDpsResource("dps", {
    resourceGroupName: resourceGroup.name,
    location,
    sku: { name: deviceprovisioningservices.IotDpsSku.S1, capacity: 1 },
    properties: {
      iotHubs: [{ connectionString: hubConnectionString, location }],
    },
  });

  const hubHostName = hub.properties.hostName;

  // ResourceSet: the DPS by resource group and name. Plain strings work as well, for a DPS that
  // another stack or team manages.
  const byNames = new IndividualEnrollment("by-names", {
    connection: dpsConnection({ resourceGroupName: resourceGroup.name, dpsName: dps.name }),
    registrationId: `${prefix}-by-names`,
    attestation: { type: "symmetricKey" },
    allocationPolicy: "Static",
    iotHubs: [hubHostName],
  });

  // InputObjectSet: the DPS object itself. Its linked hubs are known at preview time, so an
  // enrollment naming a hub that is not linked fails `pulumi preview`.
  const byObject = new IndividualEnrollment("by-object", {
    connection: dpsConnectionFromResource(dps, resourceGroup.name),
    registrationId: `${prefix}-by-object`,
    attestation: { type: "symmetricKey" },
    allocationPolicy: "Hashed",
    iotHubs: [hubHostName],
    tags: { site: "plant-1" },
    desired: { telemetryIntervalSeconds: 60 },
  });

  // ResourceIdSet: the DPS by its ARM id (here the resource's own id; any string id works).
  const byResourceId = new IndividualEnrollment("by-resource-id", {
    connection: dpsConnectionFromResourceId(dps.id),
    registrationId: `${prefix}-by-resource-id`,
    attestation: { type: "symmetricKey" },
    allocationPolicy: "Hashed",
    iotHubs: [hubHostName],
    edgeEnabled: true,
  });

  // Microsoft Entra: only the host name reaches the provider, which signs in with DefaultAzureCredential
  // (the identity needs the "Device Provisioning Service Data Contributor" role on the DPS).
  const entra = new IndividualEnrollment("entra", {
    connection: dpsConnectionFromResource(dps, resourceGroup.name, { auth: "entra" }),
    registrationId: `${prefix}-entra`,
    attestation: { type: "symmetricKey" },
    allocationPolicy: "Hashed",
    iotHubs: [hubHostName],
  });

  // Azure Device Registry: devices of this group that send a CSR when they register get an
  // operational certificate issued under the policy. The three names come from azure-native's
  // outputs, as the DPS does. (azure-native's ADR resources are 2025-11-01-preview, where the
  // namespace's credential is its certificate authority.)
  const namespace = new deviceregistry.Namespace("adr", { resourceGroupName: resourceGroup.name, location });
  const credential = new deviceregistry.Credential("adr-ca", {
    resourceGroupName: resourceGroup.name,
    namespaceName: namespace.name,
    location,
  });
  const policy = new deviceregistry.Policy(
    "adr-devices",
    {
      resourceGroupName: resourceGroup.name,
      namespaceName: namespace.name,
      location,
      properties: {
        certificate: {
          certificateAuthorityConfiguration: { keyType: deviceregistry.SupportedKeyType.ECC },
          leafCertificateConfiguration: { validityPeriodInDays: 30 },
        },
      },
    },
    { dependsOn: [credential] },
  );
  const group = new EnrollmentGroup("adr-fleet", {
    connection: dpsConnectionFromResource(dps, resourceGroup.name),
    enrollmentGroupId: `${prefix}-adr-fleet`,
    attestation: { type: "symmetricKey" },
    allocationPolicy: "Hashed",
    iotHubs: [hubHostName],
    namespaceName: namespace.name,
    certificateAuthorityName: credential.name,
    certificatePolicyName: policy.name,
  });

  return {
    resourceGroup,
    hub,
    dps,
    enrollments: { byNames, byObject, byResourceId, entra },
    adr: { namespace, credential, policy, group },
  };
}
