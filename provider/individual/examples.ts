/**
 * The registry documentation of `IndividualEnrollment`: its example in every language and its `## Import`
 * section (plugin/examples.ts composes them into the schema's description).
 */
import type { Example, ResourceDoc } from "../plugin/examples";

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
