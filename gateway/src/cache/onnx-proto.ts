/**
 * Just enough of the protobuf wire format to rewrite an ONNX model's graph (attention-fusion.ts):
 * walk a message's fields, decode the few NodeProto/TensorProto fields it reads, and encode the few it
 * writes. Fields it does not touch are copied byte for byte.
 */
export interface PbField {
  field: number;
  wire: number;
  /** The whole field, tag included (to copy it unchanged). */
  tagStart: number;
  /** The payload (a varint's own bytes for wire type 0). */
  start: number;
  end: number;
  /** Varint fields: the value. */
  value: number;
}

export function* pbFields(b: Uint8Array, start: number, end: number): Generator<PbField> {
  let p = start;
  while (p < end) {
    const tagStart = p;
    let key: number;
    [key, p] = varint(b, p);
    const field = Math.floor(key / 8);
    const wire = key & 7;
    if (wire === 0) {
      const valueStart = p;
      let value: number;
      [value, p] = varint(b, p);
      yield { field, wire, tagStart, start: valueStart, end: p, value };
    } else if (wire === 2) {
      let len: number;
      [len, p] = varint(b, p);
      yield { field, wire, tagStart, start: p, end: p + len, value: 0 };
      p += len;
    } else if (wire === 5 || wire === 1) {
      const len = wire === 5 ? 4 : 8;
      yield { field, wire, tagStart, start: p, end: p + len, value: 0 };
      p += len;
    } else throw new Error(`unsupported protobuf wire type ${wire}`);
  }
}

function varint(b: Uint8Array, p: number): [number, number] {
  let value = 0;
  let shift = 1;
  let byte: number;
  do {
    byte = b[p++] ?? 0;
    value += (byte & 0x7f) * shift;
    shift *= 128;
  } while (byte & 0x80);
  return [value, p];
}

const text = new TextDecoder();
const utf8 = new TextEncoder();

export function pbString(b: Uint8Array, f: PbField): string {
  return text.decode(b.subarray(f.start, f.end));
}

/** A node's inputs, outputs and op type (NodeProto fields 1, 2, 4, 7). */
export interface OnnxNode {
  inputs: string[];
  outputs: string[];
  opType: string;
  domain: string;
  /** The encoded NodeProto field (tag included), copied as is when the node is kept. */
  bytes: Uint8Array;
}

export function readNode(b: Uint8Array, f: PbField): OnnxNode {
  const node: OnnxNode = { inputs: [], outputs: [], opType: "", domain: "", bytes: b.subarray(f.tagStart, f.end) };
  for (const g of pbFields(b, f.start, f.end)) {
    if (g.field === 1) node.inputs.push(pbString(b, g));
    else if (g.field === 2) node.outputs.push(pbString(b, g));
    else if (g.field === 4) node.opType = pbString(b, g);
    else if (g.field === 7) node.domain = pbString(b, g);
  }
  return node;
}

/** An initializer: its name, element type, dims and bytes (raw_data, or float_data re-encoded). */
export interface OnnxTensor {
  name: string;
  dataType: number;
  dims: number[];
  data: Uint8Array;
  bytes: Uint8Array;
}

export const FLOAT = 1;
export const INT8 = 3;

export function readTensor(b: Uint8Array, f: PbField): OnnxTensor {
  const t: OnnxTensor = {
    name: "",
    dataType: 0,
    dims: [],
    data: new Uint8Array(0),
    bytes: b.subarray(f.tagStart, f.end),
  };
  const floats: number[] = [];
  const ints: number[] = [];
  for (const g of pbFields(b, f.start, f.end)) {
    if (g.field === 8) t.name = pbString(b, g);
    else if (g.field === 2) t.dataType = g.value;
    else if (g.field === 1 && g.wire === 0) t.dims.push(g.value);
    else if (g.field === 1 && g.wire === 2) for (const d of packedVarints(b, g)) t.dims.push(d);
    else if (g.field === 9) t.data = b.subarray(g.start, g.end);
    else if (g.field === 5) ints.push(...int32s(b, g));
    else if (g.field === 4 && g.wire === 5)
      floats.push(new DataView(b.buffer, b.byteOffset + g.start, 4).getFloat32(0, true));
    else if (g.field === 4 && g.wire === 2) {
      const view = new DataView(b.buffer, b.byteOffset + g.start, g.end - g.start);
      for (let i = 0; i < view.byteLength; i += 4) floats.push(view.getFloat32(i, true));
    }
  }
  if (floats.length > 0) t.data = new Uint8Array(Float32Array.from(floats).buffer);
  // int32_data carries (u)int8 elements one per value; only those element types are read this way.
  if (ints.length > 0) t.data = Uint8Array.from(ints, (v) => v & 0xff);
  return t;
}

/** int32_data, packed or not: each value a varint of its two's complement (the low 32 bits kept). */
function int32s(b: Uint8Array, f: PbField): number[] {
  const out: number[] = [];
  let p = f.start;
  while (p < f.end) {
    let v = 0;
    for (let i = 0; i < 5; i++) v |= ((b[p + i] ?? 0) & 0x7f) << (7 * i);
    out.push(v | 0);
    while ((b[p++] ?? 0) & 0x80);
  }
  return out;
}

function* packedVarints(b: Uint8Array, f: PbField): Generator<number> {
  let p = f.start;
  while (p < f.end) {
    let v: number;
    [v, p] = varint(b, p);
    yield v;
  }
}

/** Encoding: a field is tag + payload; messages are concatenations of fields. */
export function encVarint(n: number): number[] {
  const out: number[] = [];
  while (n >= 128) {
    out.push((n % 128) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

export function encBytes(field: number, payload: Uint8Array): Uint8Array {
  const head = [...encVarint(field * 8 + 2), ...encVarint(payload.length)];
  const out = new Uint8Array(head.length + payload.length);
  out.set(head, 0);
  out.set(payload, head.length);
  return out;
}

export function encVarintField(field: number, value: number): Uint8Array {
  return Uint8Array.from([...encVarint(field * 8), ...encVarint(value)]);
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** A NodeProto (as graph field 1) with integer attributes only. */
export function encNode(node: {
  inputs: string[];
  outputs: string[];
  opType: string;
  domain: string;
  name: string;
  intAttributes: Record<string, number>;
  intsAttributes?: Record<string, number[]>;
}): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const i of node.inputs) parts.push(encBytes(1, utf8.encode(i)));
  for (const o of node.outputs) parts.push(encBytes(2, utf8.encode(o)));
  parts.push(encBytes(3, utf8.encode(node.name)), encBytes(4, utf8.encode(node.opType)));
  for (const [name, value] of Object.entries(node.intAttributes)) {
    // AttributeProto: name (1), i (3), type (20) = INT (2).
    parts.push(encBytes(5, concat([encBytes(1, utf8.encode(name)), encVarintField(3, value), encVarintField(20, 2)])));
  }
  for (const [name, values] of Object.entries(node.intsAttributes ?? {})) {
    // AttributeProto: name (1), ints (8), type (20) = INTS (7).
    const ints = values.map((v) => encVarintField(8, v));
    parts.push(encBytes(5, concat([encBytes(1, utf8.encode(name)), ...ints, encVarintField(20, 7)])));
  }
  parts.push(encBytes(7, utf8.encode(node.domain)));
  return encBytes(1, concat(parts));
}

/** A TensorProto (as graph field 5) with raw_data. */
export function encTensor(t: { name: string; dataType: number; dims: number[]; data: Uint8Array }): Uint8Array {
  const parts: Uint8Array[] = t.dims.map((d) => encVarintField(1, d));
  parts.push(encVarintField(2, t.dataType), encBytes(8, utf8.encode(t.name)), encBytes(9, t.data));
  return encBytes(5, concat(parts));
}
