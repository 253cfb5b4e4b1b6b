// The plugin's Struct codec (provider/plugin/structWire.ts, structCodec.ts) against google-protobuf's
// own Struct: the same values from the same bytes, the same bytes' meaning from the same values, every
// Struct field of the resource methods found by its number, and hostile bytes refused with an error.
import { strict as assert } from "assert";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import * as provrpc from "@pulumi/pulumi/proto/provider_grpc_pb";
import * as provproto from "@pulumi/pulumi/proto/provider_pb";
import {
  PLAIN_STRUCT_FIELDS,
  plainStructService,
  structOf,
  withStructs,
} from "../../provider/plugin/structCodec";
import { decodeStruct, encodeStructField, splitStructFields } from "../../provider/plugin/structWire";
import { secret } from "../support/pluginServer";

/** Values of every kind a Struct holds, as the engine sends them (a secret wrapped). */
const SAMPLE = {
  text: "plain",
  unicode: "ünïcødé ✓ 𝄞",
  empty: "",
  numbers: [0, -1, 1.5, -2.25e-10, 2 ** 53, 1e300, 123456789012],
  flags: [true, false],
  nothing: null,
  nested: { a: { b: { c: ["x", { d: null }, []] } }, e: {} },
  secret: secret({ primaryKey: "c2VjcmV0" }),
  enrollments: Object.fromEntries(
    Array.from({ length: 50 }, (_, i) => [`dev-${i}`, { attestation: { endorsementKey: "A".repeat(424) } }]),
  ),
};

const binaryOf = (value: Record<string, unknown>): Uint8Array =>
  Struct.fromJavaScript(value as Record<string, never>).serializeBinary();

/** The setter of Struct field `name` of a generated message: `setOldInputs` for `oldInputs`. */
function setter(message: object, name: string): (s: Struct) => unknown {
  const fn = (message as Record<string, unknown>)[`set${name[0].toUpperCase()}${name.slice(1)}`];
  assert.equal(typeof fn, "function", `no setter for ${name}`);
  return (fn as (s: Struct) => unknown).bind(message);
}

const service = plainStructService(provrpc.ResourceProviderService);
type Codec = {
  requestType: new () => object & { serializeBinary(): Uint8Array };
  responseType: new () => object & { serializeBinary(): Uint8Array };
  requestDeserialize(bytes: Buffer): object;
  responseSerialize(message: object): Buffer;
  responseDeserialize(bytes: Buffer): object;
};

describe("plugin: Struct fields read and written as plain values (structWire)", () => {
  it("decodes what google-protobuf encodes to the values its toJavaScript gives", () => {
    const bytes = binaryOf(SAMPLE);
    assert.deepEqual(decodeStruct(bytes), Struct.deserializeBinary(bytes).toJavaScript());
    assert.deepEqual(decodeStruct(bytes), JSON.parse(JSON.stringify(SAMPLE)));
    assert.deepEqual(decodeStruct(binaryOf({})), {});
  });

  it("encodes what google-protobuf decodes to the JSON form of the value (undefined, functions, NaN, dates)", () => {
    const value = {
      ...SAMPLE,
      gone: undefined,
      fn: () => 1,
      list: [undefined, () => 1, NaN, Infinity, new Date(0)],
      when: new Date(86_400_000),
      notANumber: NaN,
    };
    const res = provproto.CheckResponse.deserializeBinary(encodeStructField(1, value));
    assert.deepEqual(res.getInputs()?.toJavaScript(), JSON.parse(JSON.stringify(value)));
    // A value larger than one write chunk, and many of them.
    const large = { blob: "x".repeat(3 << 20), items: SAMPLE.enrollments };
    const big = provproto.CheckResponse.deserializeBinary(encodeStructField(1, large));
    assert.deepEqual(big.getInputs()?.toJavaScript(), large);
  });

  it("a key named __proto__ is an own property, and no prototype changes", () => {
    // Encoded by hand: google-protobuf's own map drops such a key.
    const value = JSON.parse('{"__proto__": {"polluted": "yes"}, "a": 1}') as Record<string, unknown>;
    const decoded = splitStructFields(encodeStructField(1, value), { 1: "s" }).values.s;
    assert.deepEqual(Object.keys(decoded), ["__proto__", "a"]);
    assert.equal(Object.getPrototypeOf(decoded), Object.prototype);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  for (const [method, fields] of Object.entries(PLAIN_STRUCT_FIELDS)) {
    it(`${method}: every Struct field of the request and the answer by its number, the other fields kept`, () => {
      const codec = (service as unknown as Record<string, Codec>)[method];
      const original = (provrpc.ResourceProviderService as unknown as Record<string, Codec>)[method];
      const request = new codec.requestType() as Record<string, unknown> & { serializeBinary(): Uint8Array };
      (request.setUrn as (u: string) => void).call(request, "urn:pulumi:s::p::t::n");
      const given: Record<string, Record<string, unknown>> = {};
      for (const name of Object.values(fields.request)) {
        given[name] = { ...SAMPLE, field: name };
        setter(request, name)(Struct.fromJavaScript(given[name] as Record<string, never>));
      }
      const decoded = codec.requestDeserialize(Buffer.from(request.serializeBinary()));
      assert.equal((decoded as { getUrn(): string }).getUrn(), "urn:pulumi:s::p::t::n");
      for (const name of Object.values(fields.request)) {
        assert.deepEqual(structOf(decoded, name), JSON.parse(JSON.stringify(given[name])), name);
      }
      // Absent fields stay absent.
      const bare = codec.requestDeserialize(Buffer.from(new codec.requestType().serializeBinary()));
      for (const name of Object.values(fields.request)) assert.equal(structOf(bare, name), undefined);

      const response = new codec.responseType();
      const values: Record<string, Record<string, unknown>> = {};
      for (const name of Object.values(fields.response)) values[name] = { ...SAMPLE, field: name };
      const bytes = codec.responseSerialize(withStructs(response, values));
      const read = original.responseDeserialize(bytes);
      for (const name of Object.values(fields.response)) {
        assert.deepEqual(structOf(read, name), JSON.parse(JSON.stringify(values[name])), name);
      }
    });
  }

  it("a Struct field repeated on the wire merges, as protobuf merges messages", () => {
    const first = new provproto.UpdateRequest().setNews(Struct.fromJavaScript({ a: "1", b: "1" }));
    const second = new provproto.UpdateRequest().setNews(Struct.fromJavaScript({ b: "2", c: "2" }));
    const bytes = Buffer.concat([first.serializeBinary(), second.serializeBinary()]);
    const decoded = (service as unknown as Record<string, Codec>).update.requestDeserialize(bytes);
    // The protobuf spec's merge (Go's, the engine's); google-protobuf's JS keeps only the last.
    assert.deepEqual(structOf(decoded, "news"), { a: "1", b: "2", c: "2" });
  });

  it("a message the codec did not decode is read through its generated getters", () => {
    const request = new provproto.ReadRequest().setInputs(Struct.fromJavaScript({ a: "b" }));
    assert.deepEqual(structOf(request, "inputs"), { a: "b" });
    assert.equal(structOf(request, "properties"), undefined);
    assert.equal(structOf(request, "nosuchfield"), undefined);
  });

  it("hostile bytes are refused with an error, never read past their end", () => {
    const bytes = Buffer.from(binaryOf(SAMPLE));
    for (const cut of [1, 2, 10, 100, bytes.length - 1]) {
      assert.throws(
        () => decodeStruct(bytes.subarray(0, cut)),
        /protobuf|Unexpected struct type/,
        `cut ${cut}`,
      );
    }
    // A length far past the end, a group wire type, a varint that never ends, a Value of no kind.
    assert.throws(() => decodeStruct(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f])), /past the end/);
    assert.throws(() => decodeStruct(Buffer.from([0x0b])), /wire type 3/);
    assert.throws(() => decodeStruct(Buffer.from([0x08, ...Array(11).fill(0xff)])), /varint/);
    assert.throws(() => decodeStruct(Buffer.from([0x0a, 0x05, 0x0a, 0x01, 0x61, 0x12, 0x00])), /Unexpected/);
    const update = (service as unknown as Record<string, Codec>).update;
    assert.throws(() => update.requestDeserialize(Buffer.from([0x22, 0x03, 0x0a, 0x05, 0x0a])), /protobuf/);
  });
});
