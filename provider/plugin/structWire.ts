/**
 * `google.protobuf.Struct` straight from and to the protobuf wire format, as plain values.
 * google-protobuf's `Struct` builds a message object per value: a fleet's 5 MB of inputs took about
 * 45 MB of heap as a `Struct`, and each step of the engine carries two or three of them. This module
 * reads and writes the same bytes with one plain object per value (`Struct.toJavaScript()` and
 * `Struct.fromJavaScript()` of the JSON form give the same values; test/plugin/structWire.test.ts).
 *
 * Struct { map<string, Value> fields = 1 }; Value { oneof kind: null_value = 1, number_value = 2,
 * string_value = 3, bool_value = 4, struct_value = 5, list_value = 6 }; ListValue { repeated Value
 * values = 1 }.
 */

/** A plain JSON value as a Struct holds it. */
export type StructValue = null | number | string | boolean | StructValue[] | { [key: string]: StructValue };

const VARINT = 0;
const FIXED64 = 1;
const LEN = 2;
const FIXED32 = 5;

/** A cursor over protobuf bytes; every read checks its bounds, so a hostile body throws instead of reading past it. */
class Reader {
  constructor(
    readonly bytes: Buffer,
    public pos: number,
    readonly end: number,
  ) {}

  done(): boolean {
    return this.pos >= this.end;
  }

  varint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new Error("protobuf: truncated varint");
      const byte = this.bytes[this.pos++];
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 128;
    }
    throw new Error("protobuf: varint too long");
  }

  /** The bounds of the next length-delimited field. */
  span(): { start: number; end: number } {
    const length = this.varint();
    const start = this.pos;
    if (length > this.end - start) throw new Error("protobuf: length past the end of the message");
    this.pos = start + length;
    return { start, end: this.pos };
  }

  skip(wireType: number): void {
    if (wireType === VARINT) this.varint();
    else if (wireType === FIXED64) this.advance(8);
    else if (wireType === LEN) this.span();
    else if (wireType === FIXED32) this.advance(4);
    else throw new Error(`protobuf: unsupported wire type ${wireType}`);
  }

  advance(n: number): void {
    if (n > this.end - this.pos) throw new Error("protobuf: truncated field");
    this.pos += n;
  }

  sub(): Reader {
    const { start, end } = this.span();
    return new Reader(this.bytes, start, end);
  }
}

function readStruct(r: Reader): Record<string, StructValue> {
  const out: Record<string, StructValue> = {};
  while (!r.done()) {
    const tag = r.varint();
    if (tag !== ((1 << 3) | LEN)) {
      r.skip(tag & 7);
      continue;
    }
    const entry = r.sub();
    let key = "";
    let value: StructValue | undefined;
    while (!entry.done()) {
      const t = entry.varint();
      if (t === ((1 << 3) | LEN)) {
        const { start, end } = entry.span();
        key = entry.bytes.toString("utf8", start, end);
      } else if (t === ((2 << 3) | LEN)) value = readValue(entry.sub());
      else entry.skip(t & 7);
    }
    // A map entry without a value holds an empty Value, which google-protobuf refuses too.
    if (value === undefined) throw new Error("Unexpected struct type");
    // A key such as "__proto__" is an own property, as in JSON.parse.
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function readList(r: Reader): StructValue[] {
  const out: StructValue[] = [];
  while (!r.done()) {
    const tag = r.varint();
    if (tag === ((1 << 3) | LEN)) out.push(readValue(r.sub()));
    else r.skip(tag & 7);
  }
  return out;
}

function readValue(r: Reader): StructValue {
  let value: StructValue | undefined;
  while (!r.done()) {
    const tag = r.varint();
    const field = Math.floor(tag / 8);
    const wireType = tag & 7;
    if (field === 1 && wireType === VARINT) {
      r.varint();
      value = null;
    } else if (field === 2 && wireType === FIXED64) {
      r.advance(8);
      value = r.bytes.readDoubleLE(r.pos - 8);
    } else if (field === 3 && wireType === LEN) {
      const { start, end } = r.span();
      value = r.bytes.toString("utf8", start, end);
    } else if (field === 4 && wireType === VARINT) value = r.varint() !== 0;
    else if (field === 5 && wireType === LEN) value = readStruct(r.sub());
    else if (field === 6 && wireType === LEN) value = readList(r.sub());
    else r.skip(wireType);
  }
  if (value === undefined) throw new Error("Unexpected struct type");
  return value;
}

/** The plain value of an encoded `google.protobuf.Struct` (what `Struct.deserializeBinary(bytes).toJavaScript()` gives). */
export function decodeStruct(bytes: Uint8Array): Record<string, StructValue> {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return readStruct(new Reader(buffer, 0, buffer.length));
}

/**
 * A message's fields `structs` (field number → name) decoded as plain values, and its other fields'
 * bytes as they were, for the generated class to read.
 */
export function splitStructFields(
  bytes: Uint8Array,
  structs: Readonly<Record<number, string>>,
): { rest: Uint8Array; values: Record<string, Record<string, StructValue>> } {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const r = new Reader(buffer, 0, buffer.length);
  const kept: Buffer[] = [];
  const values: Record<string, Record<string, StructValue>> = {};
  while (!r.done()) {
    const from = r.pos;
    const tag = r.varint();
    const name = structs[Math.floor(tag / 8)];
    if (name !== undefined && (tag & 7) === LEN) {
      // A message field repeated on the wire merges; a Struct's maps merge key by key.
      const struct = readStruct(r.sub());
      const earlier = values[name];
      if (earlier === undefined) values[name] = struct;
      else Object.defineProperties(earlier, Object.getOwnPropertyDescriptors(struct));
      continue;
    }
    r.skip(tag & 7);
    kept.push(buffer.subarray(from, r.pos));
  }
  return { rest: Buffer.concat(kept), values };
}

/** The bytes a varint of `value` takes. */
function varintSize(value: number): number {
  let n = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 128);
    n += 1;
  }
  return n;
}

/** Room kept for a nested message's length before its body is written (lengths below 2^35). */
const LENGTH_ROOM = 5;

/**
 * Writes protobuf bytes into one growing buffer. A nested message is written in place after room
 * for its length, then moved back by the bytes the length did not need: no buffer per message.
 */
class Writer {
  private buf = Buffer.allocUnsafe(64 * 1024);
  private pos = 0;

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(2 * this.buf.length, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  varint(value: number): void {
    this.room(10);
    while (value >= 0x80) {
      this.buf[this.pos++] = (value % 128) | 0x80;
      value = Math.floor(value / 128);
    }
    this.buf[this.pos++] = value;
  }

  double(value: number): void {
    this.room(8);
    this.buf.writeDoubleLE(value, this.pos);
    this.pos += 8;
  }

  /** A length-delimited string field. */
  string(field: number, value: string): void {
    const length = Buffer.byteLength(value, "utf8");
    this.varint((field << 3) | LEN);
    this.varint(length);
    this.room(length);
    this.pos += this.buf.write(value, this.pos, length, "utf8");
  }

  /** A length-delimited message field whose body `write` writes. */
  nested(field: number, write: () => void): void {
    this.varint((field << 3) | LEN);
    this.room(LENGTH_ROOM);
    const at = this.pos;
    this.pos += LENGTH_ROOM;
    write();
    const length = this.pos - at - LENGTH_ROOM;
    const size = varintSize(length);
    if (size > LENGTH_ROOM) throw new Error("protobuf: a message too large to encode");
    this.buf.copyWithin(at + size, at + LENGTH_ROOM, this.pos);
    // In the room kept: no growing here, which would copy only up to `pos`.
    let value = length;
    let p = at;
    while (value >= 0x80) {
      this.buf[p++] = (value % 128) | 0x80;
      value = Math.floor(value / 128);
    }
    this.buf[p++] = value;
    this.pos = p + length;
  }

  finish(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

/** The JSON form of a value as `JSON.stringify` sees it (toJSON, undefined and functions dropped, non-finite numbers null). */
function jsonForm(value: unknown, key: string): unknown {
  if (
    value !== null &&
    typeof value === "object" &&
    typeof (value as { toJSON?: unknown }).toJSON === "function"
  ) {
    return (value as { toJSON(key: string): unknown }).toJSON(key);
  }
  return value;
}

/** Writes a Value's fields. */
function writeValue(w: Writer, raw: unknown, key: string): void {
  const value = jsonForm(raw, key);
  if (value === null || (typeof value === "number" && !Number.isFinite(value))) {
    w.varint((1 << 3) | VARINT);
    w.varint(0);
  } else if (typeof value === "number") {
    w.varint((2 << 3) | FIXED64);
    w.double(value);
  } else if (typeof value === "string") w.string(3, value);
  else if (typeof value === "boolean") {
    w.varint((4 << 3) | VARINT);
    w.varint(value ? 1 : 0);
  } else if (Array.isArray(value)) {
    w.nested(6, () => {
      value.forEach((item: unknown, i) => {
        const json = jsonForm(item, String(i));
        // JSON writes null for an array's undefined or function.
        w.nested(1, () => writeValue(w, omitted(json) ? null : json, String(i)));
      });
    });
  } else if (typeof value === "object") w.nested(5, () => writeFields(w, value as Record<string, unknown>));
  else if (typeof value === "bigint") throw new TypeError("Do not know how to serialize a BigInt");
  else throw new Error("Unexpected struct type.");
}

/** Whether JSON leaves a value out of an object (or writes null for it in an array). */
function omitted(value: unknown): boolean {
  return value === undefined || typeof value === "function" || typeof value === "symbol";
}

function writeFields(w: Writer, obj: Record<string, unknown>): void {
  for (const key of Object.keys(obj)) {
    const value = jsonForm(obj[key], key);
    if (omitted(value)) continue;
    w.nested(1, () => {
      w.string(1, key);
      w.nested(2, () => writeValue(w, value, key));
    });
  }
}

/**
 * `value` as an encoded `google.protobuf.Struct` field number `field` of a message (the bytes of
 * `Struct.fromJavaScript(JSON.parse(JSON.stringify(value)))`, up to map order).
 */
export function encodeStructField(field: number, value: Record<string, unknown>): Buffer {
  const w = new Writer();
  w.nested(field, () => writeFields(w, jsonForm(value, "") as Record<string, unknown>));
  return w.finish();
}
