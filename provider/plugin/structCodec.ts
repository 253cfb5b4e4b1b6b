/**
 * The resource methods' requests and answers with their `google.protobuf.Struct` fields as plain
 * values (structWire.ts) instead of google-protobuf `Struct` messages: installed as the gRPC
 * methods' `requestDeserialize` / `responseSerialize` ({@link plainStructService}). A fleet's
 * Update carries three Structs of up to 5 MB each; as messages they took ten times that in heap.
 * The other fields still go through the generated classes.
 */
import type * as grpc from "@grpc/grpc-js";
import type { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { encodeStructField, splitStructFields } from "./structWire";

/** The Struct fields (number → name) of the requests and answers of the resource methods (provider.proto). */
const STRUCT_FIELDS: Readonly<
  Record<string, { request: Readonly<Record<number, string>>; response: Readonly<Record<number, string>> }>
> = {
  check: { request: { 2: "olds", 3: "news", 9: "oldOutputs" }, response: { 1: "inputs" } },
  diff: { request: { 3: "olds", 4: "news", 6: "oldInputs" }, response: {} },
  create: { request: { 2: "properties" }, response: { 2: "properties" } },
  read: { request: { 3: "properties", 4: "inputs" }, response: { 2: "properties", 3: "inputs" } },
  update: { request: { 3: "olds", 4: "news", 8: "oldInputs" }, response: { 1: "properties" } },
  delete: { request: { 3: "properties", 5: "oldInputs" }, response: {} },
};

/** Which Struct fields of which methods the codec reads and writes as plain values (for tests). */
export const PLAIN_STRUCT_FIELDS = STRUCT_FIELDS;

type Values = Record<string, Record<string, unknown>>;

/** Plain Struct fields of the requests this codec decoded, and of the answers it will encode. */
const plainFields = new WeakMap<object, Values>();

/**
 * The Struct field `name` of message `message` as the engine sent it (secrets still wrapped, as
 * `Struct.toJavaScript()` gives them); `undefined` when absent. Works on a message the codec did
 * not decode too.
 */
export function structOf(message: object, name: string): Record<string, unknown> | undefined {
  const values = plainFields.get(message);
  if (values) return values[name];
  const getter = (message as Record<string, unknown>)[`get${name[0].toUpperCase()}${name.slice(1)}`];
  if (typeof getter !== "function") return undefined;
  return (getter as () => Struct | undefined).call(message)?.toJavaScript();
}

/** `message` (an answer) with its Struct fields `values`, encoded when the answer is sent. */
export function withStructs<M extends object>(message: M, values: Values): M {
  plainFields.set(message, { ...(plainFields.get(message) ?? {}), ...values });
  return message;
}

/** What the generated classes give the codec: `deserializeBinary` and `serializeBinary`. */
interface MessageClass {
  deserializeBinary(bytes: Uint8Array): object;
}

/**
 * `service` with the resource methods' Struct fields read and written as plain values. The bytes
 * on the wire are the same (up to the order of fields and map entries, which protobuf leaves open).
 */
export function plainStructService(service: grpc.ServiceDefinition): grpc.ServiceDefinition {
  const out: Record<string, grpc.MethodDefinition<unknown, unknown>> = { ...service };
  for (const [method, fields] of Object.entries(STRUCT_FIELDS)) {
    const definition = service[method] as grpc.MethodDefinition<object, { serializeBinary(): Uint8Array }>;
    if (!definition) throw new Error(`the resource-provider service has no method ${method}`);
    const requestType = (definition as unknown as { requestType: MessageClass }).requestType;
    out[method] = {
      ...definition,
      requestDeserialize: (bytes: Buffer) => {
        const { rest, values } = splitStructFields(bytes, fields.request);
        const message = requestType.deserializeBinary(rest);
        plainFields.set(message, values);
        return message;
      },
      responseSerialize: (message: { serializeBinary(): Uint8Array }) => {
        const head = Buffer.from(message.serializeBinary());
        const values = plainFields.get(message) ?? {};
        const tail = Object.entries(fields.response)
          .filter(([, name]) => values[name] !== undefined)
          .map(([field, name]) => encodeStructField(Number(field), values[name]));
        return tail.length === 0 ? head : Buffer.concat([head, ...tail]);
      },
    } as grpc.MethodDefinition<unknown, unknown>;
  }
  return out as grpc.ServiceDefinition;
}
