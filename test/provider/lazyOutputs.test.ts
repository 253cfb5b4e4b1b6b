/**
 * An enrollment's outputs are made when the program first reads them (provider/dynamic/lazyOutputs.ts):
 * the values are the engine's answer whether read before or after it, a failed registration fails
 * them, and other resources and the SDK are left as they were. Under `setMocks`, with registrations
 * the test answers when it chooses (as the engine does, a few at a time).
 */
import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import * as sdkRpc from "@pulumi/pulumi/runtime/rpc";
import { EnrollmentGroup, IndividualEnrollment } from "../../provider";
import { Noop } from "../support/noop";
import { valueOf } from "../support/outputs";

/** Registrations held until the test answers them, by resource name. */
class HeldMocks implements pulumi.runtime.Mocks {
  private readonly held = new Map<
    string,
    { answer: (state: Record<string, unknown>) => void; fail: (e: Error) => void }
  >();
  private readonly waiting = new Map<string, () => void>();

  newResource(
    args: pulumi.runtime.MockResourceArgs,
  ): Promise<{ id: string; state: Record<string, unknown> }> {
    return new Promise((resolve, reject) => {
      this.held.set(args.name, {
        answer: (state) => resolve({ id: `${args.name}-id`, state: { ...args.inputs, ...state } }),
        fail: reject,
      });
      this.waiting.get(args.name)?.();
    });
  }

  call(): Record<string, unknown> {
    return {};
  }

  /** Resolves once `name` has reached the engine. */
  private registered(name: string): Promise<void> {
    if (this.held.has(name)) return Promise.resolve();
    return new Promise((resolve) => this.waiting.set(name, resolve));
  }

  /** Answers `name`'s registration with its inputs and `state` on top. */
  async answer(name: string, state: Record<string, unknown>): Promise<void> {
    await this.registered(name);
    this.held.get(name)?.answer(state);
  }

  /** Fails `name`'s registration. */
  async fail(name: string, message: string): Promise<void> {
    await this.registered(name);
    this.held.get(name)?.fail(new Error(message));
  }
}

/** Whether `name` of `resource` is still the getter that makes its output (not read yet). */
function unread(resource: object, name: string): boolean {
  const d = Object.getOwnPropertyDescriptor(resource, name);
  assert.ok(d, `${name} is not a property of the resource`);
  return d.get !== undefined;
}

describe("an enrollment's outputs, made on first read", function () {
  this.timeout(30_000);
  const mocks = new HeldMocks();

  before(async () => {
    await pulumi.runtime.setMocks(mocks, "lazy-outputs", "test", false);
  });

  it("are the engine's answer, read before or after it, and unset outputs are undefined", async () => {
    const e = new IndividualEnrollment("early-late", {
      registrationId: "early-late",
      attestation: { type: "symmetricKey" },
      tags: { env: "v1" },
    });
    // Every output is a property from the start, none of them made yet.
    for (const name of ["registrationId", "attestation", "tags", "etag", "registrationState", "certificates"])
      assert.ok(unread(e, name), name);
    const tagsReadEarly = valueOf(e.tags);
    assert.ok(!unread(e, "tags"));
    assert.ok(pulumi.Output.isInstance(e.tags));
    await mocks.answer("early-late", { etag: "AAAA", createdDateTimeUtc: "2026-12-02T00:00:00Z" });
    assert.deepEqual(await tagsReadEarly, { env: "v1" });
    assert.equal(await valueOf(e.id), "early-late-id");
    assert.ok(unread(e, "etag"), "etag was made before the program read it");
    assert.equal(await valueOf(e.etag), "AAAA");
    assert.equal(await valueOf(e.createdDateTimeUtc), "2026-12-02T00:00:00Z");
    assert.equal(await valueOf(e.registrationId), "early-late");
    assert.equal(await valueOf(e.registrationState), undefined);
    // The same Output object on every read.
    assert.equal(e.etag, e.etag);
    // Resources depending on an output get it as from any other resource.
    assert.deepEqual(await valueOf(e.etag.apply((etag) => `${etag}!`)), "AAAA!");
    assert.deepEqual(
      await valueOf(pulumi.all([e.registrationId, e.tags]).apply(([id, tags]) => ({ id, tags }))),
      { id: "early-late", tags: { env: "v1" } },
    );
  });

  it("fail, read before or after, when the registration fails", async () => {
    const g = new EnrollmentGroup("failing", { enrollmentGroupId: "failing", attestation: { type: "x509" } });
    const early = valueOf(g.enrollmentGroupId);
    await mocks.fail("failing", "the engine said no");
    await assert.rejects(early, /the engine said no/);
    await assert.rejects(valueOf(g.etag), /the engine said no/);
  });

  it("leave other resources' outputs, and the SDK, as they were", async () => {
    const original = (sdkRpc as unknown as { transferProperties: unknown }).transferProperties;
    const e = new IndividualEnrollment("beside", { registrationId: "beside", attestation: { type: "tpm" } });
    const n = new Noop("noop", { value: "v" });
    assert.ok(unread(e, "etag"));
    assert.ok(!unread(n, "value"), "a resource declared after an enrollment got lazy outputs");
    assert.ok(pulumi.Output.isInstance(n.value));
    assert.equal((sdkRpc as unknown as { transferProperties: unknown }).transferProperties, original);
    assert.throws(() => new IndividualEnrollment("", { registrationId: "x", attestation: { type: "tpm" } }));
    assert.equal(
      (sdkRpc as unknown as { transferProperties: unknown }).transferProperties,
      original,
      "the SDK's function was not put back after a constructor threw",
    );
    await mocks.answer("beside", {});
    await mocks.answer("noop", {});
    assert.equal(await valueOf(n.value), "v");
    assert.equal(await valueOf(e.registrationId), "beside");
  });
});
