// Secrets through the real engine: keys given in plain text in a program, generated keys and the
// connection string never reach `pulumi stack export` in clear; public attestation material may.
import { strict as assert } from "assert";
import { startEmulator, type EmulatorHandle } from "../../emulator";
import { IndividualEnrollment } from "../../provider";
import { parseConnectionString } from "../../provider/core/connectionString";
import { EngineStack, findPulumi } from "../support/engine";

const GIVEN_PRIMARY = Buffer.alloc(48, 0x5a).toString("base64");
const GIVEN_SECONDARY = Buffer.alloc(48, 0x3c).toString("base64");

describe("secrets in state (real Pulumi engine + emulator)", function () {
  this.timeout(180_000);
  let emu: EmulatorHandle;
  let stack: EngineStack | undefined;

  before(async () => {
    await findPulumi();
    emu = await startEmulator();
  });
  after(async () => {
    await stack?.dispose();
    await emu?.stop();
  });

  it("encrypts given and generated keys and the connection string", async () => {
    const connection = {
      connectionString: emu.connectionString,
      endpoint: emu.endpoint,
      caCertificate: emu.caCertificate,
    };
    stack = await EngineStack.create({
      projectName: "secrets",
      program: async () => {
        // Plain strings, not pulumi.secret: the resource must protect them itself.
        new IndividualEnrollment("given", {
          connection,
          registrationId: "secret-given",
          attestation: { type: "symmetricKey", primaryKey: GIVEN_PRIMARY, secondaryKey: GIVEN_SECONDARY },
        });
        new IndividualEnrollment("generated", {
          connection,
          registrationId: "secret-generated",
          attestation: { type: "symmetricKey" },
        });
      },
    });
    await stack.up();
    const text = await stack.exportStackText();
    assert.ok(!text.includes(GIVEN_PRIMARY) && !text.includes(GIVEN_SECONDARY), "a given key in clear");
    const client = (await import("../../provider/core/transport")).createServiceClient(connection);
    const generated = (await client.getIndividualEnrollmentAttestationMechanism("secret-generated"))
      .responseBody.symmetricKey;
    assert.ok(generated?.primaryKey && !text.includes(generated.primaryKey), "a generated key in clear");
    assert.ok(!text.includes(parseConnectionString(emu.connectionString).key!), "the policy key in clear");
    await stack.destroy();
  });
});
