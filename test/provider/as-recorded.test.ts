/**
 * The provider against a DPS that answers as the real service's recordings show (issue 27): keys only
 * in PUT answers, omitted defaults, echoed nulls, base64 etags, an `unassigned` registration state,
 * static allocation without hubs. Through the real dynamic-provider gRPC server against the emulator
 * over HTTPS, for every attestation of both kinds, written alone and in bulk: create, refresh, a
 * no-change diff, a Set, drift and delete, with 0 failed, the keys kept, and the calls counted.
 */
import { strict as assert } from "assert";
import type { ProvisioningServiceClient } from "azure-iot-provisioning-service";
import { startEmulator, type EmulatorHandle } from "../../emulator";
import { issueCertificate } from "../../emulator/tls";
import {
  DynamicProviderServer,
  GROUP,
  INDIVIDUAL,
  type Props,
  type ServedKind,
} from "../support/dynamicProvider";
import { emulatorClient, emulatorConnection } from "../support/service";

const TPM_EK =
  "AToAAQALAAMAsgAgg3GXZ0SEs/gakMyNRqXXJP1S124GUgtk8qHaGzMUaaoABgCAAEMAEAgAAAAAAAEAxsj2gUScTk1UjuioeTlfGYZrrimExB+bScH75adUMRIi2UOMxG1kw4y+9RW/IVoMl4e620VxZad0ARX2gUqVjYO7KPVt3dyKhZS3dkcvfBisBhP1XH9B33VqHG9SHnbnQXdBUaCgKAfxome8UmBKfe+naTsE5fkvjb/do3/dD6l4sGBwFCnKRdln4XpM03zLpoHFao8zOwt8l/uP3qUIxmCYv9A7m69Ms+5/pCkTu/rK4mRDsfhZ0QLfbzVI6zQFOKF/rwsfBtFeWlWtcuJMKlXdD8TXWElTzgh7JS4qhFzreL0c1mI0GCj+Aws0usZh7dLIVPnlgZcBhgy1SSDQMQ==";
const DIFF_NONE = 1;
const DIFF_SOME = 2;

/** One record shape under test: its kind and its inputs (without id and connection). */
interface Case {
  title: string;
  kind: "individual" | "group";
  /** Whether writes of it share bulk calls (X.509 certificates go alone: see service.ts). */
  bulk: boolean;
  inputs: () => Props;
}

let CERT = "";
const CASES: Case[] = [
  {
    title: "symmetric-key enrollment (keys generated)",
    kind: "individual",
    bulk: true,
    inputs: () => ({ attestation: { type: "symmetricKey" } }),
  },
  {
    title: "TPM enrollment",
    kind: "individual",
    bulk: true,
    inputs: () => ({ attestation: { type: "tpm", endorsementKey: TPM_EK } }),
  },
  {
    title: "X.509 enrollment (CA reference), static without hubs",
    kind: "individual",
    bulk: true,
    inputs: () => ({ attestation: { type: "x509", primaryCaName: "rootca" }, allocationPolicy: "Static" }),
  },
  {
    title: "X.509 enrollment (certificate)",
    kind: "individual",
    bulk: false,
    inputs: () => ({ attestation: { type: "x509", primaryCertificate: CERT } }),
  },
  {
    title: "symmetric-key group (keys generated)",
    kind: "group",
    bulk: true,
    inputs: () => ({ attestation: { type: "symmetricKey" } }),
  },
  {
    title: "X.509 group (CA reference), static without hubs",
    kind: "group",
    bulk: true,
    inputs: () => ({ attestation: { type: "x509", primaryCaName: "rootca" }, allocationPolicy: "Static" }),
  },
  {
    title: "X.509 group (signing certificate)",
    kind: "group",
    bulk: false,
    inputs: () => ({ attestation: { type: "x509", primaryCertificate: CERT } }),
  },
];

/**
 * The stories against an emulator answering bulk `updateIfMatchETag` of existing records as given:
 * written (the REST spec's reading, the emulator's default) or refused item by item with 409201 /
 * 409202 as the service answers bulk `update` (recorded; what it does with `updateIfMatchETag` is not).
 */
function suite(updateIfMatchETagRefusesExisting: boolean): void {
  const title = updateIfMatchETagRefusesExisting ? "refused as bulk update is" : "written";
  describe(`the provider against a DPS that answers as recorded, bulk updateIfMatchETag ${title} (gRPC server + emulator)`, function () {
    this.timeout(120_000);
    let emu: EmulatorHandle;
    let client: ProvisioningServiceClient;
    let connection: Props;
    const servers: Partial<Record<Case["kind"], DynamicProviderServer>> = {};
    let n = 0;

    before(async () => {
      CERT = Buffer.from((await issueCertificate({ commonName: "as-recorded" })).certificatePem).toString(
        "base64",
      );
      emu = await startEmulator({ bulkQuirks: { updateIfMatchETagRefusesExisting } });
      connection = emulatorConnection(emu);
      client = emulatorClient(emu);
      const served: Record<Case["kind"], ServedKind> = { individual: INDIVIDUAL, group: GROUP };
      for (const kind of ["individual", "group"] as const)
        servers[kind] = await DynamicProviderServer.start(process.env, served[kind]);
    });
    after(async () => {
      for (const server of Object.values(servers)) await server?.stop();
      await emu?.stop();
    });

    const idKey = (c: Case) => (c.kind === "individual" ? "registrationId" : "enrollmentGroupId");
    const program = (c: Case, id: string, extra: Props = {}): Props => ({
      connection,
      [idKey(c)]: id,
      ...c.inputs(),
      tags: { fleet: "a" },
      ...extra,
    });

    /** The record's keys as the service holds them (`attestationmechanism`), read with the official client. */
    async function serviceKeys(
      c: Case,
      id: string,
    ): Promise<{ primaryKey?: string; secondaryKey?: string } | undefined> {
      const att =
        c.kind === "individual"
          ? (await client.getIndividualEnrollmentAttestationMechanism(id)).responseBody
          : (await client.getEnrollmentGroupAttestationMechanism(id)).responseBody;
      return att.symmetricKey;
    }

    /**
     * Changes the record's tags with the official client, as someone outside Pulumi would: a GET, then
     * a PUT of it with the certificate given again (answers never carry it).
     */
    async function changeOutOfBand(c: Case, id: string, tags: Props): Promise<void> {
      const withCertificate = (record: { attestation?: unknown }) => {
        const x509 = (record.attestation as { x509?: Record<string, { primary?: Props }> }).x509;
        const certs = x509?.clientCertificates ?? x509?.signingCertificates;
        if (certs?.primary) certs.primary.certificate = Buffer.from(CERT, "base64").toString();
      };
      if (c.kind === "individual") {
        const record = (await client.getIndividualEnrollment(id)).responseBody;
        record.initialTwin = { ...record.initialTwin, tags } as never;
        withCertificate(record);
        await client.createOrUpdateIndividualEnrollment(record);
      } else {
        const record = (await client.getEnrollmentGroup(id)).responseBody;
        record.initialTwin = { ...record.initialTwin, tags } as never;
        withCertificate(record);
        await client.createOrUpdateEnrollmentGroup(record);
      }
    }

    /** Asserts that the state holds the keys the service holds (symmetric keys only). */
    async function assertKeysKept(c: Case, id: string, outs: Props): Promise<void> {
      const att = outs.attestation as Props;
      if (att.type !== "symmetricKey") return;
      const keys = await serviceKeys(c, id);
      assert.ok(att.primaryKey, `${id}: state holds a key`);
      assert.equal(att.primaryKey, keys?.primaryKey, `${id}: primary key`);
      assert.equal(att.secondaryKey, keys?.secondaryKey, `${id}: secondary key`);
    }

    /** The whole story for `count` records written at once (1: single calls; more: bulk where it applies). */
    async function story(c: Case, count: number): Promise<void> {
      const server = servers[c.kind]!;
      const ids = Array.from({ length: count }, () => `as-rec-${c.kind}-${++n}`);
      const stats = () => emu.stats().operations;

      // Create: the keys come from the answer, never from a key read.
      emu.resetStats();
      const checked = await Promise.all(ids.map((id) => server.check({}, program(c, id))));
      for (const x of checked) assert.deepEqual(x.failures, []);
      const created = await Promise.all(checked.map((x) => server.create(x.inputs)));
      const inputs = checked.map((x) => x.inputs);
      assert.equal(stats().attestation, 0, "no key read after create");
      if (count > 1 && c.bulk) assert.ok(stats().bulk >= 1, "creates coalesced");
      else assert.equal(stats().put, count);
      for (const [i, id] of ids.entries()) await assertKeysKept(c, id, created[i].outs);

      // Refresh: no drift, no key read; then the program's preview: no changes.
      emu.resetStats();
      const refreshed = await Promise.all(ids.map((id, i) => server.read(id, created[i].outs)));
      assert.equal(stats().attestation, 0, "no key read in a refresh of records untouched since create");
      for (const [i, r] of refreshed.entries()) {
        assert.equal(r.inputs, undefined, `${ids[i]}: no drift`);
        assert.deepEqual(r.outs.attestation, created[i].outs.attestation, `${ids[i]}: attestation kept`);
        const diff = await server.diff(ids[i], r.outs, inputs[i]);
        assert.equal(diff.changes, DIFF_NONE, `${ids[i]}: no changes after refresh`);
      }

      // Set: one write each (shared in bulk), no key read, keys kept.
      emu.resetStats();
      const set = await Promise.all(
        ids.map(async (id, i) => {
          const news = (await server.check(inputs[i], program(c, id, { tags: { fleet: "b" } }))).inputs;
          return server.update(id, refreshed[i].outs, news);
        }),
      );
      assert.equal(stats().attestation, 0, "no key read in a Set");
      if (count === 1) assert.deepEqual([stats().put, stats().get], [1, 0], "a single Set is one PUT");
      else if (c.bulk && updateIfMatchETagRefusesExisting) {
        // At most one refused bulk call in this plugin process, then each record once by a single PUT.
        assert.ok(stats().bulk <= 1, `bulk calls: ${stats().bulk}`);
        assert.equal(stats().put, count, "each record written once, alone");
      } else if (c.bulk) assert.ok(stats().bulk >= 1 && stats().put < count, "Sets coalesced");
      for (const [i, id] of ids.entries()) {
        await assertKeysKept(c, id, set[i]);
        const diff = await server.diff(
          id,
          set[i],
          (await server.check(inputs[i], program(c, id, { tags: { fleet: "b" } }))).inputs,
        );
        assert.equal(diff.changes, DIFF_NONE, `${id}: no changes after the Set`);
      }

      // Drift: an out-of-band change shows in the refresh and in the next preview; the Set repairs it.
      await changeOutOfBand(c, ids[0], { fleet: "z" });
      const drifted = await server.read(ids[0], set[0]);
      assert.deepEqual(drifted.inputs?.tags, { fleet: "z" }, "drift named");
      const back = (await server.check(inputs[0], program(c, ids[0], { tags: { fleet: "b" } }))).inputs;
      assert.equal(
        (await server.diff(ids[0], drifted.outs, back)).changes,
        DIFF_SOME,
        "drift shows in the preview",
      );
      const repaired = await server.update(ids[0], drifted.outs, back);
      await assertKeysKept(c, ids[0], repaired);

      // Delete.
      await Promise.all(ids.map((id, i) => server.delete(id, i === 0 ? repaired : set[i])));
      for (const id of ids) {
        const gone =
          c.kind === "individual" ? client.getIndividualEnrollment(id) : client.getEnrollmentGroup(id);
        await assert.rejects(
          gone,
          (e: { response?: { statusCode?: number } }) => e.response?.statusCode === 404,
        );
      }
    }

    for (const c of CASES) {
      it(`${c.title}: alone`, () => story(c, 1));
      if (c.bulk) it(`${c.title}: five at once (bulk)`, () => story(c, 5));
    }
  });
}

suite(false);
suite(true);
