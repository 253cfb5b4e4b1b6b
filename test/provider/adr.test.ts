/**
 * Azure Device Registry certificate-policy references (data plane 2026-11-01) through the real
 * dynamic-provider gRPC server, against the emulator over HTTPS. Writers outside Pulumi use raw
 * 2026-11-01 requests (the official client speaks 2021-10-01, which cannot see these fields).
 */
import { strict as assert } from "assert";
import { startEmulator, type EmulatorHandle } from "../../emulator";
import { DynamicProviderServer, GROUP, type Props } from "../support/dynamicProvider";
import { emulatorConnection } from "../support/service";
import { adrOf, keys2026, outOfBand2026, read2026, type Collection } from "../support/dataPlane2026";
const POLICY = {
  namespaceName: "factory-ns",
  certificateAuthorityName: "ca-one",
  certificatePolicyName: "devices",
};
const OTHER = {
  namespaceName: "factory-ns",
  certificateAuthorityName: "ca-one",
  certificatePolicyName: "gateways",
};

describe("ADR certificate-policy references (gRPC server + emulator, 2026-11-01)", function () {
  this.timeout(60_000);
  let emu: EmulatorHandle;
  let server: DynamicProviderServer;
  let groups: DynamicProviderServer;
  let connection: Props;
  let n = 0;
  const rid = (prefix: string) => `${prefix}-${++n}`;

  before(async () => {
    emu = await startEmulator({
      adrPolicies: [POLICY, OTHER].map(
        (p) => `${p.namespaceName}/${p.certificateAuthorityName}/${p.certificatePolicyName}`,
      ),
    });
    connection = emulatorConnection(emu);
    server = await DynamicProviderServer.start(process.env);
    groups = await DynamicProviderServer.start(process.env, GROUP);
  });
  after(async () => {
    await server?.stop();
    await groups?.stop();
    await emu?.stop();
  });

  const record = (collection: Collection, id: string) => read2026(emu, collection, id);
  const outOfBand = (collection: Collection, id: string, change: (r: Props) => void) =>
    outOfBand2026(emu, collection, id, change);

  it("creates an enrollment and a group that name a policy; the records and the outputs hold it", async () => {
    const id = rid("adr-create");
    const created = await server.checkAndCreate({
      connection,
      registrationId: id,
      attestation: { type: "symmetricKey" },
      ...POLICY,
    });
    assert.deepEqual(adrOf(created.outs), POLICY);
    assert.deepEqual(adrOf(await record("enrollments", id)), POLICY);

    const gid = rid("adr-group");
    const group = await groups.checkAndCreate({
      connection,
      enrollmentGroupId: gid,
      attestation: { type: "symmetricKey" },
      ...OTHER,
    });
    assert.deepEqual(adrOf(group.outs), OTHER);
    assert.deepEqual(adrOf(await record("enrollmentGroups", gid)), OTHER);
  });

  it("a Set from a program that does not name them keeps references someone else set (412, re-read)", async () => {
    const id = rid("adr-keep");
    const created = await server.checkAndCreate({
      connection,
      registrationId: id,
      attestation: { type: "symmetricKey" },
    });
    await outOfBand("enrollments", id, (r) => Object.assign(r, POLICY));
    const before = await keys2026(emu, "enrollments", id);

    const { outs } = await server.checkAndApply(id, created.outs, {
      connection,
      registrationId: id,
      attestation: { type: "symmetricKey" },
      tags: { env: "prod" },
    });
    const after = await record("enrollments", id);
    assert.deepEqual(adrOf(after), POLICY, "the Set dropped the ADR references");
    assert.deepEqual((after.initialTwin as Props).tags, { env: "prod" });
    assert.deepEqual(adrOf(outs), POLICY, "the outputs do not show the references the record holds");
    assert.deepEqual(await keys2026(emu, "enrollments", id), before, "the Set changed the keys");
  });

  it("state from before 2026-11-01 is read once before a Set, so references it could not see are kept", async () => {
    const id = rid("adr-upgrade");
    const created = await server.checkAndCreate({
      connection,
      registrationId: id,
      attestation: { type: "symmetricKey" },
    });
    await outOfBand("enrollments", id, (r) => Object.assign(r, POLICY));
    // What a refresh by the released version (2021-10-01 reads) stored afterwards: the current etag,
    // no ADR fields, no `__dataPlane`.
    const current = await record("enrollments", id);
    const old: Props = { ...created.outs, etag: current.etag };
    for (const key of ["__dataPlane", ...Object.keys(POLICY)]) delete old[key];

    emu.resetStats();
    const { outs } = await server.checkAndApply(id, old, {
      connection,
      registrationId: id,
      attestation: { type: "symmetricKey" },
      tags: { env: "upgraded" },
    });
    const calls = emu.stats().operations;
    assert.equal(calls.get, 1, "one read before the Set");
    assert.equal(calls.put, 1);
    assert.deepEqual(adrOf(await record("enrollments", id)), POLICY, "the upgrade's first Set dropped them");
    assert.equal(outs.__dataPlane, "2026-11-01");

    // From then on, a Set is one PUT again.
    emu.resetStats();
    await server.checkAndApply(id, outs, {
      connection,
      registrationId: id,
      attestation: { type: "symmetricKey" },
      tags: { env: "again" },
    });
    assert.equal(emu.stats().total, 1, "one PUT, no read");
    assert.deepEqual(adrOf(await record("enrollments", id)), POLICY);
  });

  it("the program's references replace the record's in place (an update, not a replacement)", async () => {
    const id = rid("adr-change");
    const news = { connection, registrationId: id, attestation: { type: "symmetricKey" }, ...POLICY };
    const created = await server.checkAndCreate(news);
    const next = { ...news, ...OTHER };
    const { diff, outs } = await server.checkAndApply(id, created.outs, next);
    assert.equal(diff.changes, 2, "a changed policy is an update");
    assert.deepEqual(diff.replaces, [], "a changed policy does not replace the enrollment");
    assert.deepEqual(adrOf(outs), OTHER);
    assert.deepEqual(adrOf(await record("enrollments", id)), OTHER);
  });

  it("refresh shows references set outside Pulumi, and they are not drift of a program that does not name them", async () => {
    const id = rid("adr-refresh");
    const created = await server.checkAndCreate({
      connection,
      registrationId: id,
      attestation: { type: "symmetricKey" },
    });
    await outOfBand("enrollments", id, (r) => Object.assign(r, POLICY));
    const read = await server.read(id, created.outs);
    assert.deepEqual(adrOf(read.outs), POLICY);
    const diff = await server.diff(id, read.outs, created.inputs);
    assert.equal(diff.changes, 1, `unexpected diff ${JSON.stringify(diff)}`);
  });
});
