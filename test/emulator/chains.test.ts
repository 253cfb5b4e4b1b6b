// X.509 chains as RFC 5280 validates them: every issuer a CA, path length constraints, validity of every
// certificate, a bounded length. First the pure rules, then devices registering with Microsoft's device
// SDK through enrollment groups (signing certificates, CA references) and individual enrollments.
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import type { ProvisioningServiceClient } from "azure-iot-provisioning-service";
import type { EnrollmentGroup, IndividualEnrollment } from "azure-iot-provisioning-service/dist/interfaces";
import type { EmulatorHandle } from "../../emulator";
import { caFacts, MAX_CHAIN_CERTIFICATES, verifyChain } from "../../emulator/device/chain";
import { refused, registerDevice } from "../support/devices";
import { caCertificate, certificate, presenting, type TestCertificate } from "../support/x509";
import { clientFor, start } from "./helpers";

const x509 = (c: TestCertificate): X509Certificate => new X509Certificate(c.certificatePem);
const DAY = 86400_000;

describe("emulator: X.509 chain rules (pure)", () => {
  const now = new Date();
  const root = caCertificate("Rules Root");
  const intermediate = caCertificate("Rules Intermediate", root);
  const device = certificate({ commonName: "rules-dev", issuer: intermediate });

  it("reads basicConstraints (cA, pathLenConstraint) and keyUsage (keyCertSign), or their absence", () => {
    assert.deepEqual(caFacts(x509(caCertificate("P", undefined, 2))), {
      ca: true,
      pathLength: 2,
      hasKeyUsage: true,
      keyCertSign: true,
    });
    assert.deepEqual(caFacts(x509(device)), { ca: false, hasKeyUsage: true, keyCertSign: false });
    const bare = certificate({ commonName: "bare", basicConstraints: null, keyUsage: null });
    assert.deepEqual(caFacts(x509(bare)), { ca: false, hasKeyUsage: false, keyCertSign: false });
  });

  it("a three-level chain validates, with or without the root presented; the leaf is never the anchor", () => {
    assert.deepEqual(verifyChain([x509(device), x509(intermediate)], x509(root), now), { ok: true });
    assert.deepEqual(verifyChain([x509(device), x509(intermediate), x509(root)], x509(root), now), {
      ok: true,
    });
    // The group's signing certificate may be the intermediate.
    assert.deepEqual(verifyChain([x509(device)], x509(intermediate), now), { ok: true });
    const self = verifyChain([x509(root)], x509(root), now);
    assert.equal(self.ok, false);
  });

  it("an issuer that is not a CA, or whose keyUsage lacks keyCertSign, is refused naming it", () => {
    const cases: [string, TestCertificate][] = [
      ["not a CA certificate", certificate({ commonName: "ca-false", issuer: root })],
      [
        "not a CA certificate",
        certificate({ commonName: "no-bc", issuer: root, basicConstraints: null, keyUsage: null }),
      ],
      [
        "keyUsage lacks keyCertSign",
        certificate({
          commonName: "no-certsign",
          issuer: root,
          basicConstraints: { cA: true },
          keyUsage: { digitalSignature: true },
        }),
      ],
    ];
    for (const [why, issuer] of cases) {
      const victim = certificate({ commonName: "another-device", issuer });
      const verdict = verifyChain([x509(victim), x509(issuer)], x509(root), now);
      assert.ok(!verdict.ok && verdict.reachedAnchor, why);
      const cn = /CN=([^\n]*)/.exec(x509(issuer).subject)?.[1] ?? "";
      assert.match(verdict.reason, new RegExp(`'CN=${cn}' issued 'CN=another-device' but .*${why}`));
    }
  });

  it("pathLenConstraint: 0 refuses a sub-CA below it, 1 admits one; the anchor's own constraint counts", () => {
    const zero = caCertificate("Zero", root, 0);
    const sub = caCertificate("Sub", zero);
    const dev = certificate({ commonName: "deep-dev", issuer: sub });
    const refusedZero = verifyChain([x509(dev), x509(sub), x509(zero)], x509(root), now);
    assert.ok(!refusedZero.ok && refusedZero.reachedAnchor);
    assert.match(!refusedZero.ok ? refusedZero.reason : "", /CN=Zero.*allows 0 CA certificate.*but 1 follow/);
    // Directly under the pathLen-0 CA: fine.
    const direct = certificate({ commonName: "direct-dev", issuer: zero });
    assert.deepEqual(verifyChain([x509(direct), x509(zero)], x509(root), now), { ok: true });

    const one = caCertificate("One", root, 1);
    const subOfOne = caCertificate("SubOfOne", one);
    const devOfOne = certificate({ commonName: "one-dev", issuer: subOfOne });
    assert.deepEqual(verifyChain([x509(devOfOne), x509(subOfOne), x509(one)], x509(root), now), {
      ok: true,
    });

    const tightRoot = caCertificate("Tight Root", undefined, 0);
    const int = caCertificate("Under Tight", tightRoot);
    const dev2 = certificate({ commonName: "tight-dev", issuer: int });
    const anchorRule = verifyChain([x509(dev2), x509(int)], x509(tightRoot), now);
    assert.match(!anchorRule.ok ? anchorRule.reason : "", /CN=Tight Root.*pathLenConstraint/);
  });

  it("every certificate of the path and the anchor must be within its validity", () => {
    const expiredInt = certificate({
      commonName: "Expired Int",
      issuer: root,
      basicConstraints: { cA: true },
      notBefore: new Date(Date.now() - 10 * DAY),
      notAfter: new Date(Date.now() - DAY),
    });
    const dev = certificate({ commonName: "exp-dev", issuer: expiredInt });
    const verdict = verifyChain([x509(dev), x509(expiredInt)], x509(root), now);
    assert.match(!verdict.ok ? verdict.reason : "", /CN=Expired Int.*outside its validity/);
    const futureRoot = certificate({
      commonName: "Future Root",
      basicConstraints: { cA: true },
      notBefore: new Date(Date.now() + DAY),
    });
    const dev3 = certificate({ commonName: "fut-dev", issuer: futureRoot });
    assert.match(String(verifyChain([x509(dev3)], x509(futureRoot), now).ok), /false/);
  });

  it(`a chain longer than ${MAX_CHAIN_CERTIFICATES} certificates is refused before anything else`, () => {
    const chain = [x509(device), ...Array.from({ length: MAX_CHAIN_CERTIFICATES }, () => x509(intermediate))];
    const verdict = verifyChain(chain, x509(root), now);
    assert.match(!verdict.ok ? verdict.reason : "", new RegExp(`at most ${MAX_CHAIN_CERTIFICATES}`));
  });
});

describe("emulator: devices with invalid chains stay out (device SDK)", function () {
  this.timeout(60_000);
  let emu: EmulatorHandle;
  let client: ProvisioningServiceClient;
  const root = caCertificate("Fleet Root");
  const intermediate = caCertificate("Fleet Intermediate", root);
  const caRoot = caCertificate("Referenced Root");
  const caIntermediate = caCertificate("Referenced Intermediate", caRoot);

  before(async () => {
    emu = await start({ caCertificates: { "fleet-ca": caRoot.certificatePem } });
    client = clientFor(emu);
    await client.createOrUpdateEnrollmentGroup({
      enrollmentGroupId: "signing-group",
      attestation: {
        type: "x509",
        x509: { signingCertificates: { primary: { certificate: root.certificatePem } } },
      },
    } as EnrollmentGroup);
  });
  after(() => emu?.stop());

  /**
   * A device certificate of the fleet (issued by `issuer`), with basicConstraints CA:FALSE or none and
   * no keyUsage (as `openssl x509 -req` makes them), that itself issues one for `victim`.
   */
  function forgedBy(issuer: TestCertificate, victim: string, basicConstraints: null | { cA: false }) {
    const insider = certificate({
      commonName: `insider-of-${victim}`,
      issuer,
      basicConstraints,
      keyUsage: null,
    });
    return presenting(certificate({ commonName: victim, issuer: insider }), insider, issuer);
  }

  it("a legitimate three-level chain (root, intermediate, device) provisions", async () => {
    const dev = certificate({ commonName: "legit-dev", issuer: intermediate });
    const result = await registerDevice(emu, "legit-dev", presenting(dev, intermediate));
    assert.equal(result.status, "assigned");
    assert.equal(result.deviceId, "legit-dev");
  });

  it("group (signing certificate): a CA:FALSE or a no-basicConstraints device certificate cannot issue for another id", async () => {
    for (const bc of [{ cA: false as const }, null]) {
      const victim = bc ? "victim-bc-false" : "victim-no-bc";
      await refused(
        registerDevice(emu, victim, forgedBy(intermediate, victim, bc)),
        /enrollment group 'signing-group' is invalid: 'CN=insider-of-victim.*is not a CA certificate/,
      );
      const state = await client.getDeviceRegistrationState(victim).catch((e: Error) => e);
      assert.ok(state instanceof Error, `${victim} has no registration state`);
    }
  });

  it("a group whose signing certificate is no CA (accepted, as the service does) admits no device", async () => {
    const selfSigned = certificate({ commonName: "Not A CA", basicConstraints: null, keyUsage: null });
    await client.createOrUpdateEnrollmentGroup({
      enrollmentGroupId: "non-ca-group",
      attestation: {
        type: "x509",
        x509: { signingCertificates: { primary: { certificate: selfSigned.certificatePem } } },
      },
    } as EnrollmentGroup);
    const member = certificate({ commonName: "under-non-ca", issuer: selfSigned });
    await refused(
      registerDevice(emu, "under-non-ca", presenting(member, selfSigned)),
      /is not a CA certificate/,
    );
    const state = await client.getDeviceRegistrationState("under-non-ca").catch((e: Error) => e);
    assert.ok(state instanceof Error, "no registration state");
  });

  it("a CA:FALSE certificate whose keyUsage claims keyCertSign, or a CA without keyCertSign, cannot issue either", async () => {
    const claims = certificate({
      commonName: "claims-certsign",
      issuer: intermediate,
      basicConstraints: { cA: false },
      keyUsage: { keyCertSign: true },
    });
    await refused(
      registerDevice(
        emu,
        "victim-claims",
        presenting(certificate({ commonName: "victim-claims", issuer: claims }), claims, intermediate),
      ),
      /'CN=claims-certsign' issued 'CN=victim-claims' but is not a CA certificate/,
    );
    const noCertSign = certificate({
      commonName: "no-certsign",
      issuer: intermediate,
      basicConstraints: { cA: true },
      keyUsage: { digitalSignature: true },
    });
    // Node's TLS layer already drops this link, so the chain does not reach the group's CA.
    await refused(
      registerDevice(
        emu,
        "victim-ku",
        presenting(certificate({ commonName: "victim-ku", issuer: noCertSign }), noCertSign, intermediate),
      ),
      /does not chain/,
    );
  });

  it("a pathLen-0 intermediate refuses a sub-CA below it", async () => {
    const zero = caCertificate("PathLen Zero", root, 0);
    const sub = caCertificate("Below Zero", zero);
    const dev = certificate({ commonName: "below-zero-dev", issuer: sub });
    await refused(
      registerDevice(emu, "below-zero-dev", presenting(dev, sub, zero)),
      /CN=PathLen Zero.*pathLenConstraint/,
    );
    const direct = certificate({ commonName: "zero-direct-dev", issuer: zero });
    assert.equal((await registerDevice(emu, "zero-direct-dev", presenting(direct, zero))).status, "assigned");
  });

  it("CA references (group and individual enrollment): a device certificate cannot issue for another id", async () => {
    await client.createOrUpdateEnrollmentGroup({
      enrollmentGroupId: "ca-ref-group",
      attestation: { type: "x509", x509: { caReferences: { primary: "fleet-ca" } } },
    } as EnrollmentGroup);
    const legit = certificate({ commonName: "ref-legit", issuer: caIntermediate });
    assert.equal(
      (await registerDevice(emu, "ref-legit", presenting(legit, caIntermediate))).status,
      "assigned",
    );
    for (const bc of [{ cA: false as const }, null]) {
      const victim = bc ? "ref-victim-false" : "ref-victim-none";
      await refused(
        registerDevice(emu, victim, forgedBy(caIntermediate, victim, bc)),
        /enrollment group 'ca-ref-group' is invalid: .*is not a CA certificate/,
      );
    }

    // The takeover the issue describes: an individual enrollment's deviceId and hub.
    await client.createOrUpdateIndividualEnrollment({
      registrationId: "owned-dev",
      deviceId: "precious-device",
      attestation: { type: "x509", x509: { caReferences: { primary: "fleet-ca" } } },
    } as IndividualEnrollment);
    for (const bc of [{ cA: false as const }, null]) {
      await refused(
        registerDevice(emu, "owned-dev", forgedBy(caIntermediate, "owned-dev", bc)),
        /does not chain to a CA certificate the enrollment 'owned-dev' references \(.*is not a CA certificate/,
      );
    }
    const owner = certificate({ commonName: "owned-dev", issuer: caIntermediate });
    const result = await registerDevice(emu, "owned-dev", presenting(owner, caIntermediate));
    assert.equal(result.deviceId, "precious-device");
  });

  it("an expired intermediate keeps its devices out", async () => {
    const expired = certificate({
      commonName: "Expired Intermediate",
      issuer: root,
      basicConstraints: { cA: true },
      notBefore: new Date(Date.now() - 10 * DAY),
      notAfter: new Date(Date.now() - DAY),
    });
    const dev = certificate({ commonName: "stale-dev", issuer: expired });
    await refused(registerDevice(emu, "stale-dev", presenting(dev, expired)), /outside its validity/);
  });
});
