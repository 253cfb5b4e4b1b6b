/**
 * The registry documentation of `EnrollmentGroup`: its example in every language and its `## Import`
 * section (plugin/examples.ts composes them into the schema's description).
 */
import type { Example, ResourceDoc } from "../plugin/examples";

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
