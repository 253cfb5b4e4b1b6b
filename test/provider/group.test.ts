/**
 * `EnrollmentGroup`'s provider through the real dynamic-provider gRPC server, with the provider text
 * the engine stores for groups, against the emulator over HTTPS; out-of-band changes are made with the
 * official client.
 */
import { strict as assert } from "assert";
import type { ProvisioningServiceClient } from "azure-iot-provisioning-service";
import { startEmulator, type EmulatorHandle } from "../../emulator";
import { createTlsMaterial } from "../../emulator/tls";
import { DynamicProviderServer, GROUP, type Props } from "../support/dynamicProvider";
import { emulatorClient, emulatorConnection } from "../support/service";

const KEY_A = Buffer.alloc(64, 1).toString("base64");
const KEY_B = Buffer.alloc(64, 2).toString("base64");

describe("EnrollmentGroup provider (gRPC server + emulator)", function () {
  this.timeout(60_000);
  let emu: EmulatorHandle;
  let server: DynamicProviderServer;
  let client: ProvisioningServiceClient;
  let connection: Props;
  let caPem: string;
  let leafPem: string;
  let n = 0;
  const gid = (prefix: string) => `${prefix}-${++n}`;

  before(async () => {
    emu = await startEmulator();
    connection = emulatorConnection(emu);
    server = await DynamicProviderServer.start(process.env, GROUP);
    client = emulatorClient(emu);
    const tls = await createTlsMaterial(["device.example"]);
    caPem = tls.caCertificatePem;
    leafPem = tls.certificatePem;
  });
  after(async () => {
    await server?.stop();
    await emu?.stop();
  });

  const create = (news: Props) => server.checkAndCreate(news);
  const apply = (olds: Props, news: Props) =>
    server.checkAndApply(String(olds.enrollmentGroupId), olds, news);

  async function serviceGroup(id: string): Promise<Props> {
    return (await client.getEnrollmentGroup(id)).responseBody as unknown as Props;
  }

  async function serviceKeys(id: string) {
    return (await client.getEnrollmentGroupAttestationMechanism(id)).responseBody.symmetricKey;
  }

  /** A writer outside Pulumi that reads the keys first, then PUTs with the etag. */
  async function outOfBand(id: string, change: (g: Props) => void) {
    const current = await serviceGroup(id);
    if ((current.attestation as Props).type === "symmetricKey") {
      current.attestation = (await client.getEnrollmentGroupAttestationMechanism(id)).responseBody;
    }
    change(current);
    await client.createOrUpdateEnrollmentGroup(current as never);
  }

  it("creates a symmetric-key group with generated keys in one call, keys in the outputs", async () => {
    emu.resetStats();
    const enrollmentGroupId = gid("sym");
    const { id, outs } = await create({
      connection,
      enrollmentGroupId,
      attestation: { type: "SymmetricKey" },
    });
    assert.equal(id, enrollmentGroupId);
    assert.equal(emu.stats().total, 1, "one PUT, no read");
    const att = outs.attestation as Record<string, string>;
    assert.equal(Buffer.from(att.primaryKey, "base64").length, 64);
    assert.deepEqual(await serviceKeys(enrollmentGroupId), {
      primaryKey: att.primaryKey,
      secondaryKey: att.secondaryKey,
    });
    assert.equal(outs.registrationId, undefined, "a group has no registration id");
    assert.ok(outs.etag && outs.createdDateTimeUtc);
  });

  it("creates x509 groups with a signing certificate and with CA names", async () => {
    const signed = await create({
      connection,
      enrollmentGroupId: gid("x509"),
      attestation: { type: "x509", primaryCertificate: caPem },
    });
    const x509 = (await serviceGroup(signed.id)).attestation as { x509: Props };
    const signing = x509.x509.signingCertificates as { primary: { info: Props } };
    assert.match(String(signing.primary.info.subjectName), /CN=/, "sent as a signing certificate");
    assert.equal((signed.outs.attestation as Props).primaryCertificate, caPem, "kept in state");
    assert.equal((signed.outs.attestation as Props).rootCertificate, undefined);
    const byCa = await create({
      connection,
      enrollmentGroupId: gid("ca"),
      attestation: { type: "x509", primaryCaName: "rootca", secondaryCaName: "rootca2" },
    });
    const refs = ((await serviceGroup(byCa.id)).attestation as { x509: Props }).x509.caReferences;
    assert.deepEqual(refs, { primary: "rootca", secondary: "rootca2" });
  });

  it("check takes a signing certificate without CA extensions, as the service does", async () => {
    const checked = await server.check(
      {},
      { connection, enrollmentGroupId: "g1", attestation: { type: "x509", primaryCertificate: leafPem } },
    );
    assert.deepEqual(checked.failures, []);
  });

  it("check refuses TPM, device ids, broken certificates and bad ids, naming the property", async () => {
    const base = { connection, enrollmentGroupId: "g1" };
    const cases: [Props, string, RegExp][] = [
      [
        { ...base, attestation: { type: "tpm", endorsementKey: "AA==" } },
        "attestation.type",
        /EnrollmentGroup does not take tpm attestation; use "symmetricKey" or "x509"/,
      ],
      [
        { ...base, attestation: { type: "symmetricKey" }, deviceId: "d" },
        "deviceId",
        /not a property of EnrollmentGroup/,
      ],
      [
        { ...base, attestation: { type: "x509", primaryCertificate: "bm9wZQ==" } },
        "attestation.primaryCertificate",
        /is not an X\.509 certificate/,
      ],
      [
        { ...base, attestation: { type: "x509", primaryCertificate: caPem, rootCertificate: true } },
        "attestation.rootCertificate",
        /does not apply to x509/,
      ],
      [
        { connection, enrollmentGroupId: "-bad", attestation: { type: "symmetricKey" } },
        "enrollmentGroupId",
        /enrollmentGroupId "-bad" is invalid/,
      ],
      [
        { connection, attestation: { type: "symmetricKey" } },
        "enrollmentGroupId",
        /enrollmentGroupId is required/,
      ],
    ];
    emu.resetStats();
    for (const [news, property, reason] of cases) {
      const { failures } = await server.check({}, news);
      const failure = failures.find((f) => f.property === property);
      assert.ok(failure, `${property}: ${JSON.stringify(failures)}`);
      assert.match(failure.reason, reason);
    }
    assert.equal(emu.stats().total, 0, "check calls nothing");
  });

  it("applies each Set parameter alone with one PUT and keeps the rest, keys included", async () => {
    const enrollmentGroupId = gid("set");
    const base = { connection, enrollmentGroupId, attestation: { type: "symmetricKey" } };
    let { outs } = await create({ ...base, tags: { env: "a" }, edgeEnabled: true });
    const keys = outs.attestation as Props;
    const steps: [string, Props, (g: Props) => void][] = [
      [
        "provisioningStatus",
        { provisioningStatus: "Disabled" },
        (g) => assert.equal(g.provisioningStatus, "disabled"),
      ],
      [
        "reprovisionPolicy",
        { reprovisionPolicy: "never" },
        (g) =>
          assert.deepEqual(g.reprovisionPolicy, { updateHubAssignment: false, migrateDeviceData: false }),
      ],
      [
        "desired",
        { desired: { version_dps: "updateddps" } },
        (g) =>
          assert.deepEqual(((g.initialTwin as Props).properties as Props).desired, {
            version_dps: "updateddps",
          }),
      ],
      [
        "allocation",
        { allocationPolicy: "Hashed", iotHubs: emu.linkedHubs.slice(0, 2) },
        (g) => assert.deepEqual([g.allocationPolicy, g.iotHubs], ["hashed", emu.linkedHubs.slice(0, 2)]),
      ],
    ];
    for (const [name, change, expect] of steps) {
      emu.resetStats();
      const result = await apply(outs, { ...base, ...change });
      assert.equal(result.diff.changes, 2, `${name}: a change`);
      assert.deepEqual(result.diff.replaces, [], `${name}: in place`);
      assert.equal(emu.stats().total, 1, `${name}: one PUT`);
      outs = result.outs;
      const g = await serviceGroup(enrollmentGroupId);
      expect(g);
      assert.deepEqual((g.initialTwin as Props).tags, { env: "a" }, `${name}: unmanaged tags kept`);
      assert.deepEqual(g.capabilities, { iotEdge: true }, `${name}: unmanaged edge kept`);
      const k = await serviceKeys(enrollmentGroupId);
      assert.deepEqual(
        [k?.primaryKey, k?.secondaryKey],
        [keys.primaryKey, keys.secondaryKey],
        `${name}: keys kept`,
      );
    }
  });

  it("a concurrent writer causes 412; the update re-reads, re-applies and keeps the other writer's fields", async () => {
    const enrollmentGroupId = gid("race");
    const { outs } = await create({ connection, enrollmentGroupId, attestation: { type: "symmetricKey" } });
    await outOfBand(enrollmentGroupId, (g) => {
      g.capabilities = { iotEdge: true };
    });
    emu.resetStats();
    const result = await apply(outs, {
      connection,
      enrollmentGroupId,
      attestation: { type: "symmetricKey" },
      tags: { v: "2" },
    });
    assert.equal(emu.stats().responses["412"], 1);
    assert.equal(emu.stats().operations.put, 2);
    const g = await serviceGroup(enrollmentGroupId);
    assert.deepEqual(g.capabilities, { iotEdge: true });
    assert.deepEqual((g.initialTwin as Props).tags, { v: "2" });
    assert.equal(result.outs.edgeEnabled, true);
    assert.equal((await serviceKeys(enrollmentGroupId))?.primaryKey, (outs.attestation as Props).primaryKey);
  });

  it("refresh of an unchanged group is one call; out-of-band key rotation is picked up", async () => {
    const enrollmentGroupId = gid("refresh");
    const { outs } = await create({ connection, enrollmentGroupId, attestation: { type: "symmetricKey" } });
    emu.resetStats();
    const same = await server.read(enrollmentGroupId, outs);
    assert.equal(emu.stats().total, 1);
    assert.deepEqual(same.outs.attestation, outs.attestation);
    await outOfBand(enrollmentGroupId, (g) => {
      g.attestation = { type: "symmetricKey", symmetricKey: { primaryKey: KEY_A, secondaryKey: KEY_B } };
    });
    const rotated = await server.read(enrollmentGroupId, outs);
    assert.equal((rotated.outs.attestation as Props).primaryKey, KEY_A);
  });

  it("create of an existing group fails naming adopt; adopt takes it over with Set semantics", async () => {
    const enrollmentGroupId = gid("adopt");
    await client.createOrUpdateEnrollmentGroup({
      enrollmentGroupId,
      attestation: { type: "symmetricKey", symmetricKey: { primaryKey: KEY_A, secondaryKey: KEY_B } },
      initialTwin: { tags: { made: "outside" } },
    } as never);
    const news = {
      connection,
      enrollmentGroupId,
      attestation: { type: "symmetricKey" },
      provisioningStatus: "Disabled",
    };
    const checked = await server.check({}, news);
    await assert.rejects(
      server.create(checked.inputs),
      /Enrollment group ".*" already exists.*adopt: true.*EnrollmentGroup\.get/s,
    );
    const adopted = await create({ ...news, adopt: true });
    assert.equal((adopted.outs.attestation as Props).primaryKey, KEY_A, "keys read, not replaced");
    const g = await serviceGroup(enrollmentGroupId);
    assert.equal(g.provisioningStatus, "disabled");
    assert.deepEqual((g.initialTwin as Props).tags, { made: "outside" });
  });

  it("reads a group by id (EnrollmentGroup.get) with its keys; a get of a missing one fails, naming it", async () => {
    const enrollmentGroupId = gid("get");
    await client.createOrUpdateEnrollmentGroup({
      enrollmentGroupId,
      attestation: { type: "symmetricKey", symmetricKey: { primaryKey: KEY_A, secondaryKey: KEY_B } },
      allocationPolicy: "static",
      iotHubs: [emu.linkedHubs[0]],
    } as never);
    const got = await server.read(enrollmentGroupId, { connection, enrollmentGroupId }, true);
    assert.equal(got.id, enrollmentGroupId);
    assert.equal(got.outs.allocationPolicy, "Static");
    assert.equal((got.outs.attestation as Props).primaryKey, KEY_A);
    assert.deepEqual(got.inputs?.attestation, { type: "symmetricKey" });
    assert.equal(got.inputs?.enrollmentGroupId, enrollmentGroupId);
    await assert.rejects(
      server.read("never", { connection, enrollmentGroupId: "never" }, true),
      /Enrollment group "never" does not exist in emulator\.azure-devices-provisioning\.net\. EnrollmentGroup\.get found nothing to read/,
    );
  });

  it("replaces on a group id or attestation type change (deleting first for the type)", async () => {
    const enrollmentGroupId = gid("repl");
    const { outs, inputs } = await create({
      connection,
      enrollmentGroupId,
      attestation: { type: "symmetricKey" },
    });
    const byId = await server.diff(enrollmentGroupId, outs, { ...inputs, enrollmentGroupId: gid("other") });
    assert.deepEqual([byId.replaces, byId.deleteBeforeReplace], [["enrollmentGroupId"], false]);
    const byType = await server.diff(enrollmentGroupId, outs, {
      ...inputs,
      attestation: { type: "x509", primaryCaName: "ca" },
    });
    assert.deepEqual([byType.replaces, byType.deleteBeforeReplace], [["attestation"], true]);
  });

  it("deletes, and deleting a group that is already gone succeeds", async () => {
    const enrollmentGroupId = gid("del");
    const { outs } = await create({ connection, enrollmentGroupId, attestation: { type: "symmetricKey" } });
    await server.delete(enrollmentGroupId, outs);
    await assert.rejects(client.getEnrollmentGroup(enrollmentGroupId), /Not found/);
    await server.delete(enrollmentGroupId, outs);
  });
});
