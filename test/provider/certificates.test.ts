/**
 * The `certificates` output (thumbprints and expiry of enrolled X.509 certificates, from the service's
 * `info`) through the real dynamic-provider gRPC server against the emulator: set on create and
 * update from the write's answer, kept current by refresh, never drift, and old state without it works.
 */
import { strict as assert } from "assert";
import { X509Certificate } from "node:crypto";
import type { ProvisioningServiceClient } from "azure-iot-provisioning-service";
import { startEmulator, type EmulatorHandle } from "../../emulator";
import { issueCertificate } from "../../emulator/tls";
import { DynamicProviderServer, GROUP, INDIVIDUAL, type Props } from "../support/dynamicProvider";
import { emulatorClient, emulatorConnection } from "../support/service";

const DIFF_NONE = 1;
const DIFF_SOME = 2;

/** What a user expects for a PEM, computed here independently of the emulator and the provider. */
function expected(pem: string): Props {
  const cert = new X509Certificate(pem);
  return {
    sha256Thumbprint: cert.fingerprint256.replace(/:/g, ""),
    sha1Thumbprint: cert.fingerprint.replace(/:/g, ""),
    subjectName: cert.subject.replace(/\n/g, ", "),
    notAfterUtc: new Date(cert.validTo).toISOString(),
  };
}

async function devicePem(commonName: string): Promise<string> {
  return (await issueCertificate({ commonName })).certificatePem;
}

describe("certificates output: thumbprints and expiry of enrolled X.509 certificates", function () {
  this.timeout(60_000);
  let emu: EmulatorHandle;
  let individual: DynamicProviderServer;
  let group: DynamicProviderServer;
  let client: ProvisioningServiceClient;
  let connection: Props;

  before(async () => {
    emu = await startEmulator();
    connection = emulatorConnection(emu);
    client = emulatorClient(emu);
    [individual, group] = await Promise.all([
      DynamicProviderServer.start(process.env, INDIVIDUAL),
      DynamicProviderServer.start(process.env, GROUP),
    ]);
  });
  after(async () => {
    await Promise.all([individual?.stop(), group?.stop()]);
    await emu?.stop();
  });

  it("individual: create reports both certificates in one call; an update of the secondary reports the new one", async () => {
    const [primary, secondary, rotated] = await Promise.all([
      devicePem("cert-dev"),
      devicePem("cert-dev"),
      devicePem("cert-dev"),
    ]);
    emu.resetStats();
    const news = {
      connection,
      registrationId: "cert-dev",
      attestation: { type: "x509", primaryCertificate: primary, secondaryCertificate: secondary },
    };
    const { outs } = await individual.checkAndCreate(news);
    assert.equal(emu.stats().total, 1, "the PUT's answer carries the info: no extra call");
    assert.deepEqual(outs.certificates, { primary: expected(primary), secondary: expected(secondary) });

    const next = { ...news, attestation: { ...news.attestation, secondaryCertificate: rotated } };
    const applied = await individual.checkAndApply("cert-dev", outs, next);
    assert.equal(applied.diff.changes, DIFF_SOME);
    assert.deepEqual(applied.outs.certificates, { primary: expected(primary), secondary: expected(rotated) });
  });

  it("refresh keeps it current and it never shows as drift; no certificates output without certificates", async () => {
    const pem = await devicePem("cert-refresh");
    const news = {
      connection,
      registrationId: "cert-refresh",
      attestation: { type: "x509", primaryCertificate: pem },
    };
    const { outs, inputs } = await individual.checkAndCreate(news);
    assert.deepEqual(outs.certificates, { primary: expected(pem) });

    const refreshed = await individual.read("cert-refresh", outs);
    assert.deepEqual(refreshed.outs.certificates, { primary: expected(pem) });
    assert.equal(refreshed.inputs, undefined, "no drift to report");
    assert.equal((await individual.diff("cert-refresh", refreshed.outs, inputs)).changes, DIFF_NONE);

    // Rotated outside Pulumi: the refresh reports the certificate the service now holds.
    const other = await devicePem("cert-refresh");
    const current = (await client.getIndividualEnrollment("cert-refresh")).responseBody;
    current.attestation.x509 = { clientCertificates: { primary: { certificate: other } } } as never;
    await client.createOrUpdateIndividualEnrollment(current);
    const after = await individual.read("cert-refresh", refreshed.outs);
    assert.deepEqual(after.outs.certificates, { primary: expected(other) });

    const sym = await individual.checkAndCreate({
      connection,
      registrationId: "cert-sym",
      attestation: { type: "symmetricKey" },
    });
    assert.equal(sym.outs.certificates, undefined);
    const ca = await individual.checkAndCreate({
      connection,
      registrationId: "cert-ca",
      attestation: { type: "x509", primaryCaName: "rootca" },
    });
    assert.equal(ca.outs.certificates, undefined);
  });

  it("state written before the output existed: no diff, and the next refresh or update fills it in", async () => {
    const pem = await devicePem("cert-old");
    const news = {
      connection,
      registrationId: "cert-old",
      attestation: { type: "x509", primaryCertificate: pem },
    };
    const { outs, inputs } = await individual.checkAndCreate(news);
    const old: Props = { ...outs };
    delete old.certificates; // The shape earlier versions stored.

    assert.equal((await individual.diff("cert-old", old, inputs)).changes, DIFF_NONE);
    const refreshed = await individual.read("cert-old", old);
    assert.deepEqual(refreshed.outs.certificates, { primary: expected(pem) });
    assert.equal(refreshed.inputs, undefined, "a new output is not drift");

    const updated = await individual.checkAndApply("cert-old", old, { ...news, tags: { site: "a" } });
    assert.equal(updated.diff.changes, DIFF_SOME);
    assert.deepEqual(updated.outs.certificates, { primary: expected(pem) });
  });

  it("group: the signing certificates' thumbprints and expiry; refresh and diff agree", async () => {
    const root = (await issueCertificate({ commonName: "Group Root CA", ca: true })).certificatePem;
    const second = (await issueCertificate({ commonName: "Group Second CA", ca: true })).certificatePem;
    const news = {
      connection,
      enrollmentGroupId: "cert-grp",
      attestation: { type: "x509", primaryCertificate: root, secondaryCertificate: second },
    };
    const { outs, inputs } = await group.checkAndCreate(news);
    assert.deepEqual(outs.certificates, { primary: expected(root), secondary: expected(second) });
    const refreshed = await group.read("cert-grp", outs);
    assert.deepEqual(refreshed.outs.certificates, outs.certificates);
    assert.equal(refreshed.inputs, undefined);
    assert.equal((await group.diff("cert-grp", refreshed.outs, inputs)).changes, DIFF_NONE);
  });
});
