// Enrollments with X.509 CA references: the DPS's CA certificates are given at start (`--ca`,
// `caCertificates`), and devices register with Microsoft's device SDK through them.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ProvisioningServiceClient } from "azure-iot-provisioning-service";
import type { EnrollmentGroup, IndividualEnrollment } from "azure-iot-provisioning-service/dist/interfaces";
import type { EmulatorHandle } from "../../emulator";
import { parseCli } from "../../emulator/cli";
import { issueCertificate, type IssuedCertificate } from "../../emulator/tls";
import { refused, registerDevice } from "../support/devices";
import { clientFor, start } from "./helpers";

/** A device certificate under `intermediate`, presented with the intermediate (leaf first). */
async function deviceUnder(commonName: string, intermediate: IssuedCertificate): Promise<IssuedCertificate> {
  const leaf = await issueCertificate({ commonName, issuer: intermediate });
  return { ...leaf, certificatePem: leaf.certificatePem + intermediate.certificatePem };
}

function caGroup(enrollmentGroupId: string, caReferences: object, extra: object = {}): EnrollmentGroup {
  return {
    enrollmentGroupId,
    attestation: { type: "x509", x509: { caReferences } },
    ...extra,
  } as EnrollmentGroup;
}

describe("emulator: X.509 CA references (--ca / caCertificates)", function () {
  this.timeout(60_000);
  let emu: EmulatorHandle;
  let client: ProvisioningServiceClient;
  let fleetRoot: IssuedCertificate;
  let fleetIntermediate: IssuedCertificate;
  let otherIntermediate: IssuedCertificate;

  before(async () => {
    fleetRoot = await issueCertificate({ commonName: "Fleet Root CA", ca: true });
    fleetIntermediate = await issueCertificate({
      commonName: "Fleet Intermediate",
      ca: true,
      issuer: fleetRoot,
    });
    const otherRoot = await issueCertificate({ commonName: "Other Root CA", ca: true });
    otherIntermediate = await issueCertificate({
      commonName: "Other Intermediate",
      ca: true,
      issuer: otherRoot,
    });
    emu = await start({
      caCertificates: { "Fleet-CA": fleetRoot.certificatePem, "other-ca": otherRoot.certificatePem },
    });
    client = clientFor(emu);
  });
  after(() => emu?.stop());

  it("a group whose CA reference names a known CA admits a device chaining to it; a chain leading elsewhere is refused", async () => {
    // Names compare case-insensitively, as Azure resource names do.
    await client.createOrUpdateEnrollmentGroup(caGroup("grp-ca", { primary: "fleet-ca" }));
    const result = await registerDevice(emu, "ca-dev-1", await deviceUnder("ca-dev-1", fleetIntermediate));
    assert.equal(result.status, "assigned");
    assert.equal(result.deviceId, "ca-dev-1");
    assert.ok(emu.linkedHubs.includes(result.assignedHub), result.assignedHub);
    const state = await client.getDeviceRegistrationState("ca-dev-1");
    assert.equal(state.responseBody.status, "assigned");

    // Signed by a CA the DPS holds, but not one this (or any) group references.
    await refused(
      registerDevice(emu, "ca-dev-2", await deviceUnder("ca-dev-2", otherIntermediate)),
      /does not chain to an enrollment group's signing certificate or CA reference/,
    );
    // A self-signed device certificate leads nowhere.
    await refused(
      registerDevice(emu, "ca-dev-3", await issueCertificate({ commonName: "ca-dev-3" })),
      /does not chain/,
    );
  });

  it("a disabled CA-reference group refuses its devices", async () => {
    await client.createOrUpdateEnrollmentGroup(
      caGroup("grp-ca-off", { primary: "other-ca" }, { provisioningStatus: "disabled" }),
    );
    await refused(
      registerDevice(emu, "off-dev-1", await deviceUnder("off-dev-1", otherIntermediate)),
      /the enrollment group 'grp-ca-off' is disabled/,
    );
  });

  it("an unknown CA name is accepted on write and refuses devices at registration, naming the CA", async () => {
    const unknownRoot = await issueCertificate({ commonName: "Unknown Root CA", ca: true });
    const unknownIntermediate = await issueCertificate({
      commonName: "Unknown Int",
      ca: true,
      issuer: unknownRoot,
    });
    const written = await client.createOrUpdateEnrollmentGroup(
      caGroup("grp-ca-unknown", { primary: "nope-ca" }),
    );
    assert.deepEqual(written.responseBody.attestation.x509?.caReferences, { primary: "nope-ca" });
    await refused(
      registerDevice(emu, "unk-dev-1", await deviceUnder("unk-dev-1", unknownIntermediate)),
      /not held by this DPS: .*'nope-ca'.*--ca NAME=PEMFILE/,
    );
    await client.deleteEnrollmentGroup("grp-ca-unknown");
  });

  it("the secondary CA reference admits too, and an individual enrollment with CA references admits its device", async () => {
    await client.deleteEnrollmentGroup("grp-ca-off");
    await client.createOrUpdateEnrollmentGroup(
      caGroup("grp-ca-2", { primary: "missing", secondary: "OTHER-CA" }),
    );
    const viaSecondary = await registerDevice(
      emu,
      "sec-dev-1",
      await deviceUnder("sec-dev-1", otherIntermediate),
    );
    assert.equal(viaSecondary.status, "assigned");

    await client.createOrUpdateIndividualEnrollment({
      registrationId: "ind-ca-dev",
      attestation: { type: "x509", x509: { caReferences: { primary: "fleet-ca" } } },
    } as IndividualEnrollment);
    const admitted = await registerDevice(
      emu,
      "ind-ca-dev",
      await deviceUnder("ind-ca-dev", fleetIntermediate),
    );
    assert.equal(admitted.status, "assigned");
    // Precedence: the individual enrollment is the only one considered, so a chain the group would admit is refused.
    await refused(
      registerDevice(emu, "ind-ca-dev", await deviceUnder("ind-ca-dev", otherIntermediate)),
      /does not chain to a CA certificate the enrollment 'ind-ca-dev' references/,
    );
  });

  it("refuses to start with a CA that is not a CA certificate, naming it; --ca NAME=PEMFILE reads the file", async () => {
    const leaf = await issueCertificate({ commonName: "not-a-ca" });
    await assert.rejects(
      start({ caCertificates: { leafy: leaf.certificatePem } }),
      /CA 'leafy' is not a CA certificate/,
    );
    await assert.rejects(
      start({ caCertificates: { junk: "not a certificate" } }),
      /CA 'junk' is not an X.509/,
    );

    const dir = await mkdtemp(join(tmpdir(), "dps-ca-"));
    try {
      const file = join(dir, "root.pem");
      await writeFile(file, fleetRoot.certificatePem);
      const options = parseCli(["--ca", `fleet=${file}`, "--ca", `other=${file}`]);
      assert.deepEqual(options.caCertificates, {
        fleet: fleetRoot.certificatePem,
        other: fleetRoot.certificatePem,
      });
      assert.throws(() => parseCli(["--ca", file]), /--ca expects NAME=PEMFILE/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
