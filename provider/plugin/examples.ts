/**
 * The registry documentation of each resource: an example per language (the Pulumi Registry's
 * `{{% examples %}}` blocks, which every SDK generator reads and keeps its own language of) and an
 * `## Import` section. Text only, composed into the schema's descriptions by schema.ts.
 */

/** The languages of the examples, as the registry's code fences name them. */
export const EXAMPLE_LANGUAGES = ["typescript", "python", "go", "csharp", "java", "yaml"] as const;

/** One example: a title and its program in every language of {@link EXAMPLE_LANGUAGES}. */
export interface Example {
  /** The example's heading. */
  title: string;
  /** The program per language (the body of the code fence). */
  code: Record<(typeof EXAMPLE_LANGUAGES)[number], string>;
}

/** A resource's documentation: its summary, its examples and how to import it. */
export interface ResourceDoc {
  /** The first paragraph. */
  summary: string;
  /** Examples, each in every language. */
  examples: Example[];
  /** The `pulumi import` command line and what its id is. */
  importing: { token: string; name: string; id: string; what: string };
}

const INDIVIDUAL_EXAMPLE: Example = {
  title: "A symmetric-key device with initial twin tags",
  code: {
    typescript: `import * as dps from "@dps-enrollments/pulumi";

const device = new dps.IndividualEnrollment("device", {
    registrationId: "device-1",
    attestation: { type: "symmetricKey" },
    tags: { env: "prod" },
    provisioningStatus: "Enabled",
});

export const etag = device.etag;`,
    python: `import pulumi
import pulumi_dps_enrollments as dps

device = dps.IndividualEnrollment("device",
    registration_id="device-1",
    attestation={"type": "symmetricKey"},
    tags={"env": "prod"},
    provisioning_status="Enabled")

pulumi.export("etag", device.etag)`,
    go: `package main

import (
	"github.com/dps-enrollments/pulumi-dps-enrollments/sdk/go/dpsenrollments"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		device, err := dpsenrollments.NewIndividualEnrollment(ctx, "device", &dpsenrollments.IndividualEnrollmentArgs{
			RegistrationId:     pulumi.String("device-1"),
			Attestation:        &dpsenrollments.AttestationArgs{Type: pulumi.String("symmetricKey")},
			Tags:               pulumi.Map{"env": pulumi.String("prod")},
			ProvisioningStatus: pulumi.String("Enabled"),
		})
		if err != nil {
			return err
		}
		ctx.Export("etag", device.Etag)
		return nil
	})
}`,
    csharp: `using System.Collections.Generic;
using Pulumi;
using Dps = DpsEnrollments.Pulumi;

return await Deployment.RunAsync(() =>
{
    var device = new Dps.IndividualEnrollment("device", new()
    {
        RegistrationId = "device-1",
        Attestation = new Dps.Inputs.AttestationArgs { Type = "symmetricKey" },
        Tags = { { "env", "prod" } },
        ProvisioningStatus = "Enabled",
    });

    return new Dictionary<string, object?> { ["etag"] = device.Etag };
});`,
    java: `package myproject;

import com.pulumi.Pulumi;
import io.github.dpsenrollments.dpsenrollments.IndividualEnrollment;
import io.github.dpsenrollments.dpsenrollments.IndividualEnrollmentArgs;
import io.github.dpsenrollments.dpsenrollments.inputs.AttestationArgs;
import java.util.Map;

public class App {
    public static void main(String[] args) {
        Pulumi.run(ctx -> {
            var device = new IndividualEnrollment("device", IndividualEnrollmentArgs.builder()
                .registrationId("device-1")
                .attestation(AttestationArgs.builder().type("symmetricKey").build())
                .tags(Map.of("env", "prod"))
                .provisioningStatus("Enabled")
                .build());
            ctx.export("etag", device.etag());
        });
    }
}`,
    yaml: `resources:
  device:
    type: dps-enrollments:index:IndividualEnrollment
    properties:
      registrationId: device-1
      attestation:
        type: symmetricKey
      tags:
        env: prod
      provisioningStatus: Enabled
outputs:
  etag: \${device.etag}`,
  },
};

const GROUP_EXAMPLE: Example = {
  title: "A symmetric-key enrollment group on two hubs",
  code: {
    typescript: `import * as dps from "@dps-enrollments/pulumi";

const fleet = new dps.EnrollmentGroup("fleet", {
    enrollmentGroupId: "fleet",
    attestation: { type: "symmetricKey" },
    allocationPolicy: "Hashed",
    iotHubs: ["hub-1.azure-devices.net", "hub-2.azure-devices.net"],
});

export const etag = fleet.etag;`,
    python: `import pulumi
import pulumi_dps_enrollments as dps

fleet = dps.EnrollmentGroup("fleet",
    enrollment_group_id="fleet",
    attestation={"type": "symmetricKey"},
    allocation_policy="Hashed",
    iot_hubs=["hub-1.azure-devices.net", "hub-2.azure-devices.net"])

pulumi.export("etag", fleet.etag)`,
    go: `package main

import (
	"github.com/dps-enrollments/pulumi-dps-enrollments/sdk/go/dpsenrollments"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		fleet, err := dpsenrollments.NewEnrollmentGroup(ctx, "fleet", &dpsenrollments.EnrollmentGroupArgs{
			EnrollmentGroupId: pulumi.String("fleet"),
			Attestation:       &dpsenrollments.GroupAttestationArgs{Type: pulumi.String("symmetricKey")},
			AllocationPolicy:  pulumi.String("Hashed"),
			IotHubs:           pulumi.StringArray{pulumi.String("hub-1.azure-devices.net"), pulumi.String("hub-2.azure-devices.net")},
		})
		if err != nil {
			return err
		}
		ctx.Export("etag", fleet.Etag)
		return nil
	})
}`,
    csharp: `using System.Collections.Generic;
using Pulumi;
using Dps = DpsEnrollments.Pulumi;

return await Deployment.RunAsync(() =>
{
    var fleet = new Dps.EnrollmentGroup("fleet", new()
    {
        EnrollmentGroupId = "fleet",
        Attestation = new Dps.Inputs.GroupAttestationArgs { Type = "symmetricKey" },
        AllocationPolicy = "Hashed",
        IotHubs = { "hub-1.azure-devices.net", "hub-2.azure-devices.net" },
    });

    return new Dictionary<string, object?> { ["etag"] = fleet.Etag };
});`,
    java: `package myproject;

import com.pulumi.Pulumi;
import io.github.dpsenrollments.dpsenrollments.EnrollmentGroup;
import io.github.dpsenrollments.dpsenrollments.EnrollmentGroupArgs;
import io.github.dpsenrollments.dpsenrollments.inputs.GroupAttestationArgs;

public class App {
    public static void main(String[] args) {
        Pulumi.run(ctx -> {
            var fleet = new EnrollmentGroup("fleet", EnrollmentGroupArgs.builder()
                .enrollmentGroupId("fleet")
                .attestation(GroupAttestationArgs.builder().type("symmetricKey").build())
                .allocationPolicy("Hashed")
                .iotHubs("hub-1.azure-devices.net", "hub-2.azure-devices.net")
                .build());
            ctx.export("etag", fleet.etag());
        });
    }
}`,
    yaml: `resources:
  fleet:
    type: dps-enrollments:index:EnrollmentGroup
    properties:
      enrollmentGroupId: fleet
      attestation:
        type: symmetricKey
      allocationPolicy: Hashed
      iotHubs:
        - hub-1.azure-devices.net
        - hub-2.azure-devices.net
outputs:
  etag: \${fleet.etag}`,
  },
};

/** The documentation of the individual enrollment. */
export const INDIVIDUAL_DOC: ResourceDoc = {
  summary:
    "An individual enrollment, managed with the Set semantics of `Set-AzIoTDeviceProvisioningServiceEnrollment`: " +
    "an update writes what the program gives and keeps every other field of the record, its keys among them.",
  examples: [INDIVIDUAL_EXAMPLE],
  importing: {
    token: "dps-enrollments:index:IndividualEnrollment",
    name: "device",
    id: "device-1",
    what: "An individual enrollment is imported by its registration id; the import reads the record and writes nothing.",
  },
};

/** The documentation of the enrollment group. */
export const GROUP_DOC: ResourceDoc = {
  summary:
    "An enrollment group, managed with the Set semantics of `Set-AzIoTDeviceProvisioningServiceEnrollmentGroup`: " +
    "an update writes what the program gives and keeps every other field of the record, its keys among them.",
  examples: [GROUP_EXAMPLE],
  importing: {
    token: "dps-enrollments:index:EnrollmentGroup",
    name: "fleet",
    id: "fleet",
    what: "An enrollment group is imported by its enrollment group id; the import reads the record and writes nothing.",
  },
};

/** The fence of one example program. */
const fence = (language: string, code: string): string => "```" + language + "\n" + code + "\n```";

/** The resource's schema description: summary, `{{% examples %}}` in every language, `## Import`. */
export function describeResource(doc: ResourceDoc): string {
  const examples = doc.examples
    .map(
      (example) =>
        "{{% example %}}\n### " +
        example.title +
        "\n\n" +
        EXAMPLE_LANGUAGES.map((language) => fence(language, example.code[language])).join("\n") +
        "\n{{% /example %}}",
    )
    .join("\n");
  const { token, name, id, what } = doc.importing;
  return [
    doc.summary,
    "",
    "{{% examples %}}",
    "## Example Usage",
    "",
    examples,
    "{{% /examples %}}",
    "",
    "## Import",
    "",
    what,
    "",
    fence("sh", ` $ pulumi import ${token} ${name} ${id}`),
    "",
  ].join("\n");
}
