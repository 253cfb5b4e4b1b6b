/**
 * The registry documentation of `EnrollmentFleet`: its example in every language and its `## Import`
 * section (plugin/examples.ts composes them into the schema's description).
 */
import type { Example, ResourceDoc } from "../plugin/examples";

const EK = "AToAAQALAAMAsgAgg3GXZ0SEs/gakMyNRqXXJP1S124GUgtk8qHaGzMUaaoABgCAAEMAEAgAAAAAAAEA...";

const FLEET_EXAMPLE: Example = {
  title: "A manifest of TPM devices and a symmetric-key one, sharing tags",
  code: {
    typescript: `import * as dps from "@dps-enrollments/pulumi";

const line7 = new dps.EnrollmentFleet("line7", {
    defaults: { tags: { line: "7" }, provisioningStatus: "Enabled" },
    enrollments: {
        "line7-00042": { attestation: { endorsementKey: "${EK}" } },
        "line7-00043": { attestation: { type: "symmetricKey" }, tags: { line: "7", spare: true } },
    },
});

export const enrolled = line7.enrollmentCount;`,
    python: `import pulumi
import pulumi_dps_enrollments as dps

line7 = dps.EnrollmentFleet("line7",
    defaults={"tags": {"line": "7"}, "provisioning_status": "Enabled"},
    enrollments={
        "line7-00042": {"attestation": {"endorsement_key": "${EK}"}},
        "line7-00043": {"attestation": {"type": "symmetricKey"}, "tags": {"line": "7", "spare": True}},
    })

pulumi.export("enrolled", line7.enrollment_count)`,
    go: `package main

import (
	"github.com/dps-enrollments/pulumi-dps-enrollments/sdk/go/dpsenrollments"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		line7, err := dpsenrollments.NewEnrollmentFleet(ctx, "line7", &dpsenrollments.EnrollmentFleetArgs{
			Defaults: &dpsenrollments.EnrollmentFleetDefaultsArgs{
				Tags:               pulumi.Map{"line": pulumi.String("7")},
				ProvisioningStatus: pulumi.String("Enabled"),
			},
			Enrollments: dpsenrollments.EnrollmentFleetItemMap{
				"line7-00042": &dpsenrollments.EnrollmentFleetItemArgs{
					Attestation: &dpsenrollments.EnrollmentFleetAttestationArgs{
						EndorsementKey: pulumi.String("${EK}"),
					},
				},
				"line7-00043": &dpsenrollments.EnrollmentFleetItemArgs{
					Attestation: &dpsenrollments.EnrollmentFleetAttestationArgs{Type: pulumi.String("symmetricKey")},
					Tags:        pulumi.Map{"line": pulumi.String("7"), "spare": pulumi.Bool(true)},
				},
			},
		})
		if err != nil {
			return err
		}
		ctx.Export("enrolled", line7.EnrollmentCount)
		return nil
	})
}`,
    csharp: `using System.Collections.Generic;
using Pulumi;
using Dps = DpsEnrollments.Pulumi;

return await Deployment.RunAsync(() =>
{
    var line7 = new Dps.EnrollmentFleet("line7", new()
    {
        Defaults = new Dps.Inputs.EnrollmentFleetDefaultsArgs
        {
            Tags = { { "line", "7" } },
            ProvisioningStatus = "Enabled",
        },
        Enrollments =
        {
            ["line7-00042"] = new Dps.Inputs.EnrollmentFleetItemArgs
            {
                Attestation = new Dps.Inputs.EnrollmentFleetAttestationArgs { EndorsementKey = "${EK}" },
            },
            ["line7-00043"] = new Dps.Inputs.EnrollmentFleetItemArgs
            {
                Attestation = new Dps.Inputs.EnrollmentFleetAttestationArgs { Type = "symmetricKey" },
                Tags = { { "line", "7" }, { "spare", true } },
            },
        },
    });

    return new Dictionary<string, object?> { ["enrolled"] = line7.EnrollmentCount };
});`,
    java: `package myproject;

import com.pulumi.Pulumi;
import io.github.dpsenrollments.dpsenrollments.EnrollmentFleet;
import io.github.dpsenrollments.dpsenrollments.EnrollmentFleetArgs;
import io.github.dpsenrollments.dpsenrollments.inputs.EnrollmentFleetAttestationArgs;
import io.github.dpsenrollments.dpsenrollments.inputs.EnrollmentFleetDefaultsArgs;
import io.github.dpsenrollments.dpsenrollments.inputs.EnrollmentFleetItemArgs;
import java.util.Map;

public class App {
    public static void main(String[] args) {
        Pulumi.run(ctx -> {
            var line7 = new EnrollmentFleet("line7", EnrollmentFleetArgs.builder()
                .defaults(EnrollmentFleetDefaultsArgs.builder()
                    .tags(Map.of("line", "7"))
                    .provisioningStatus("Enabled")
                    .build())
                .enrollments(Map.of(
                    "line7-00042", EnrollmentFleetItemArgs.builder()
                        .attestation(EnrollmentFleetAttestationArgs.builder().endorsementKey("${EK}").build())
                        .build(),
                    "line7-00043", EnrollmentFleetItemArgs.builder()
                        .attestation(EnrollmentFleetAttestationArgs.builder().type("symmetricKey").build())
                        .tags(Map.of("line", "7", "spare", true))
                        .build()))
                .build());
            ctx.export("enrolled", line7.enrollmentCount());
        });
    }
}`,
    yaml: `resources:
  line7:
    type: dps-enrollments:index:EnrollmentFleet
    properties:
      defaults:
        tags:
          line: "7"
        provisioningStatus: Enabled
      enrollments:
        line7-00042:
          attestation:
            endorsementKey: ${EK}
        line7-00043:
          attestation:
            type: symmetricKey
          tags:
            line: "7"
            spare: true
outputs:
  enrolled: \${line7.enrollmentCount}`,
  },
};

/** The documentation of the fleet. */
export const FLEET_DOC: ResourceDoc = {
  summary:
    "Many individual enrollments as one resource, for manifests: `enrollments` keyed by registration id, " +
    "`defaults` for what they share (an item's property replaces the default of the same name whole). " +
    "Each item has the Set semantics of `IndividualEnrollment`: only the items that change are written, in bulk " +
    "calls of 10, keeping the fields and keys the program does not manage. At most 10,000 items per fleet.",
  examples: [FLEET_EXAMPLE],
  importing: {
    token: "dps-enrollments:index:EnrollmentFleet",
    name: "line7",
    id: "prefix:line7-",
    what:
      "A fleet is imported from the records a list of ids (`ids:line7-00042,line7-00043`) or a registration-id " +
      "prefix (`prefix:line7-`) names; the import reads them and writes nothing.",
  },
};
