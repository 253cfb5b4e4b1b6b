// The Java program of the plugin's Java engine test (test/engine/plugin-java.e2e.test.ts): written
// with the generated Java SDK (sdk/java), run by pulumi-language-java as `java -jar`. Its values are
// the story's (test/support/pluginStory.ts), read from program.json in the project directory, which
// the test rewrites before each step.
package story;

import com.google.gson.Gson;
import com.pulumi.Pulumi;
import com.pulumi.resources.CustomResourceOptions;
import io.github.dpsenrollments.dpsenrollments.IndividualEnrollment;
import io.github.dpsenrollments.dpsenrollments.IndividualEnrollmentArgs;
import io.github.dpsenrollments.dpsenrollments.inputs.AttestationArgs;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

public final class App {
    /** The story's values: one enrollment, and a second once the test took one over by import. */
    static final class Values {
        String registrationId;
        Map<String, Object> tags;
        String provisioningStatus;
        String importedId;
        boolean importing;
    }

    public static void main(String[] args) throws IOException {
        var values = new Gson().fromJson(
            Files.readString(Path.of("program.json"), StandardCharsets.UTF_8), Values.class);
        Pulumi.run(ctx -> {
            var device = IndividualEnrollmentArgs.builder()
                .registrationId(values.registrationId)
                .attestation(AttestationArgs.builder().type("symmetricKey").build())
                .tags(values.tags == null ? Map.of() : values.tags);
            if (values.provisioningStatus != null) {
                device.provisioningStatus(values.provisioningStatus);
            }
            var enrollment = new IndividualEnrollment("device", device.build());
            ctx.export("etag", enrollment.etag());
            if (values.importedId != null) {
                var options = values.importing
                    ? CustomResourceOptions.builder().importId(values.importedId).build()
                    : CustomResourceOptions.Empty;
                new IndividualEnrollment("imported", IndividualEnrollmentArgs.builder()
                    .registrationId(values.importedId)
                    .attestation(AttestationArgs.builder().type("symmetricKey").build())
                    .build(), options);
            }
        });
    }
}
