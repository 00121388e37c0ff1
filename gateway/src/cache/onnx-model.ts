import onnxProto from "onnx-proto";

/**
 * The ONNX model as protobuf messages, through the `onnx-proto` package (protobufjs code generated
 * from onnx.proto): the graph rewrites (attention-fusion.ts, graph-pooling.ts) read and build
 * messages instead of bytes. Decoding keeps tensor payloads as views of the model's bytes, so the
 * 23 MB of weights are copied once, when the rewritten model is encoded for onnxruntime.
 */
export const { onnx } = onnxProto;
type OnnxTypes = typeof onnxProto.onnx;
type I<K extends keyof OnnxTypes> = OnnxTypes[K] extends abstract new (...args: never[]) => infer T ? T : never;

// The generated typings make every field optional; a decoded (or created) message has every repeated
// field as an array and every scalar at its default, so these views state what the rewrites read.
export type ValueInfo = Omit<I<"ValueInfoProto">, "name"> & { name: string };
export type Node = Omit<I<"NodeProto">, "input" | "output" | "opType" | "name"> & {
  input: string[];
  output: string[];
  opType: string;
  name: string;
};
export type Tensor = Omit<I<"TensorProto">, "name" | "dataType"> & { name: string; dataType: number };
export type Graph = Omit<I<"GraphProto">, "node" | "initializer" | "output" | "valueInfo"> & {
  node: Node[];
  initializer: Tensor[];
  output: ValueInfo[];
  valueInfo: ValueInfo[];
};
export type Model = Omit<I<"ModelProto">, "graph" | "opsetImport"> & {
  graph: Graph | null;
  opsetImport: Array<I<"OperatorSetIdProto">>;
};

export const FLOAT = onnx.TensorProto.DataType.FLOAT;

export function decodeModel(bytes: Uint8Array): Model {
  return onnx.ModelProto.decode(bytes) as Model;
}

export function encodeModel(model: Model): Uint8Array {
  return onnx.ModelProto.encode(model).finish();
}

/** A byte form in, a byte form out; a message in, a message out (the embedder chains rewrites on one decode). */
export function rewriting<M extends Uint8Array | Model>(model: M, rewrite: (m: Model) => Model): M {
  return (model instanceof Uint8Array ? encodeModel(rewrite(decodeModel(model))) : rewrite(model as Model)) as M;
}

/** A copy of the model with another graph (the input message is left as it was). */
export function withGraph(
  model: Model,
  graph: Graph,
  extraOpsets: Array<{ domain: string; version: number }> = [],
): Model {
  const out = onnx.ModelProto.create({ ...model, graph }) as Model;
  const known = new Set(model.opsetImport.map((o) => o.domain ?? ""));
  out.opsetImport = [
    ...model.opsetImport,
    ...extraOpsets.filter((o) => !known.has(o.domain)).map((o) => onnx.OperatorSetIdProto.create(o)),
  ];
  return out;
}

/** A tensor's elements as bytes: raw_data, or float_data / int32_data (int8 elements one per value) re-encoded. */
export function tensorBytes(t: Tensor): Uint8Array {
  if (t.rawData && t.rawData.length > 0) return t.rawData;
  if (t.floatData && t.floatData.length > 0) return new Uint8Array(Float32Array.from(t.floatData).buffer);
  if (t.int32Data && t.int32Data.length > 0) return Uint8Array.from(t.int32Data, (v) => v & 0xff);
  return new Uint8Array(0);
}

export function tensorDims(t: Tensor): number[] {
  return (t.dims ?? []).map((d) => Number(d));
}

export function tensor(name: string, dataType: number, dims: number[], data: Uint8Array): Tensor {
  return onnx.TensorProto.create({ name, dataType, dims, rawData: data }) as Tensor;
}

/** A NodeProto with integer (`ints`: integer list) attributes only. */
export function node(spec: {
  inputs: string[];
  outputs: string[];
  opType: string;
  domain: string;
  name: string;
  ints?: Record<string, number>;
  intLists?: Record<string, number[]>;
}): Node {
  const { INT, INTS } = onnx.AttributeProto.AttributeType;
  const attribute = [
    ...Object.entries(spec.ints ?? {}).map(([name, i]) => onnx.AttributeProto.create({ name, i, type: INT })),
    ...Object.entries(spec.intLists ?? {}).map(([name, ints]) =>
      onnx.AttributeProto.create({ name, ints, type: INTS }),
    ),
  ];
  return onnx.NodeProto.create({
    input: spec.inputs,
    output: spec.outputs,
    name: spec.name,
    opType: spec.opType,
    domain: spec.domain,
    attribute,
  }) as Node;
}

/** A copy of the graph with these members replaced. */
export function graphWith(
  graph: Graph,
  members: Partial<Pick<Graph, "node" | "initializer" | "output" | "valueInfo">>,
): Graph {
  return onnx.GraphProto.create({ ...graph, ...members }) as Graph;
}
