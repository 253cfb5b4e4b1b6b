// Refresh of a large fleet through the real dynamic-provider gRPC server and the emulator: many reads
// of one DPS are served from query pages (keys read only where the etag moved); a few reads stay GETs.
import { strict as assert } from "assert";
import { randomBytes } from "crypto";
import type { ProvisioningServiceClient } from "azure-iot-provisioning-service";
import { startEmulator, type EmulatorHandle } from "../../emulator";
import { DynamicProviderServer, type Props } from "../support/dynamicProvider";
import { emulatorClient, emulatorConnection } from "../support/service";

/** Enrollments refreshed; `FLEET_REFRESH_N=10000` gives the figure in BENCHMARKS.md. */
const N = Number(process.env.FLEET_REFRESH_N ?? 1_000);
/** What the engine sends at a time (`--parallel`). */
const PARALLEL = 8;

interface Written {
  registrationId: string;
  etag: string;
}

/** Runs `work` over `items`, `width` at a time, in order; the results in the same order. */
async function pool<T, R>(items: T[], width: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await work(items[i]);
      }
    }),
  );
  return results;
}

const key = (): string => randomBytes(32).toString("base64");

describe("refresh of a large fleet (gRPC provider server + emulator)", function () {
  let emu: EmulatorHandle;
  let client: ProvisioningServiceClient;
  const states: Props[] = [];

  before(async () => {
    emu = await startEmulator({ port: 0 });
    client = emulatorClient(emu);
    const connection = emulatorConnection(emu);
    const ids = Array.from({ length: N }, (_, i) => `fleet-${i}`);
    const written = await pool(ids, 25, async (registrationId) => {
      const attestation = { type: "symmetricKey", primaryKey: key(), secondaryKey: key() };
      const body = {
        registrationId,
        attestation: { type: "symmetricKey", symmetricKey: attestation },
        initialTwin: { tags: { fleet: "f" } },
      };
      const res = await client.createOrUpdateIndividualEnrollment(body as never);
      const etag = (res.responseBody as unknown as Written).etag;
      // The state a create of this provider leaves (the parts a refresh reads).
      return { connection, registrationId, attestation, tags: { fleet: "f" }, etag, __managed: ["tags"] };
    });
    states.push(...written);
  });
  after(() => emu.stop());

  it(`refreshes ${N} enrollments of one DPS in a few calls, naming drift, deletion and new keys`, async () => {
    // Out of band: tags changed on one, another deleted, the keys of a third rotated.
    const changed = (await client.getIndividualEnrollment("fleet-7")).responseBody;
    changed.initialTwin = { tags: { fleet: "hacked" } } as never;
    await client.createOrUpdateIndividualEnrollment(changed);
    await client.deleteIndividualEnrollment("fleet-8");
    const rotated = { primaryKey: key(), secondaryKey: key() };
    const old = (await client.getIndividualEnrollment("fleet-9")).responseBody as unknown as Props;
    await client.createOrUpdateIndividualEnrollment({
      ...old,
      attestation: { type: "symmetricKey", symmetricKey: rotated },
    } as never);

    const server = await DynamicProviderServer.start();
    try {
      emu.resetStats();
      const results = await pool(states, PARALLEL, (state) =>
        server.read(String(state.registrationId), state),
      );
      const stats = emu.stats();
      console.log(`      refresh of ${N}: ${stats.total} calls ${JSON.stringify(stats.operations)}`);
      const byId = new Map(states.map((s, i) => [String(s.registrationId), results[i]]));

      assert.equal(byId.get("fleet-8")!.id, "", "the deleted enrollment is forgotten");
      assert.deepEqual(byId.get("fleet-7")!.inputs?.tags, { fleet: "hacked" }, "the drift is named");
      const keys = byId.get("fleet-9")!.outs.attestation as Props;
      assert.deepEqual([keys.primaryKey, keys.secondaryKey], [rotated.primaryKey, rotated.secondaryKey]);
      for (const [i, state] of states.entries()) {
        if (["fleet-7", "fleet-8", "fleet-9"].includes(String(state.registrationId))) continue;
        const r = results[i];
        assert.equal(r.id, state.registrationId);
        assert.equal(r.outs.etag, state.etag);
        assert.deepEqual(r.outs.attestation, state.attestation, "unchanged keys are kept, not re-read");
        assert.deepEqual(r.outs.tags, { fleet: "f" });
        assert.equal(r.inputs, undefined, "no drift, stored inputs kept");
      }
      // One GET per enrollment would be 1,000 calls: pages of 100 plus the few GETs before enough
      // reads arrived, one GET confirming the deletion, keys only where the etag moved.
      assert.equal(stats.operations.attestation, 2, JSON.stringify(stats.operations));
      assert.ok(stats.operations.query >= N / 100, JSON.stringify(stats.operations));
      assert.ok(stats.total <= N / 10, `${stats.total} calls: ${JSON.stringify(stats.operations)}`);
    } finally {
      await server.stop();
    }
  });

  it("reads a few enrollments of a large DPS with one GET each, no query", async () => {
    const server = await DynamicProviderServer.start();
    try {
      emu.resetStats();
      const few = states.slice(100, 104);
      const results = await pool(few, PARALLEL, (state) => server.read(String(state.registrationId), state));
      assert.deepEqual(
        results.map((r) => r.outs.etag),
        few.map((s) => s.etag),
      );
      const stats = emu.stats();
      assert.equal(stats.operations.query, 0);
      assert.equal(stats.total, few.length);
    } finally {
      await server.stop();
    }
  });
});
