import {
  concat,
  encBytes,
  encNode,
  encTensor,
  encVarintField,
  FLOAT,
  type OnnxNode,
  type OnnxTensor,
  pbFields,
  pbString,
  readNode,
  readTensor,
} from "./onnx-proto.ts";

/**
 * Rewrites the shipped int8 MiniLM's self-attention into onnxruntime's fused `QAttention` kernel, in
 * memory at load time (the committed model stays the published artifact, byte for byte).
 *
 * Why: the exported graph spells each layer's attention as ~70 small nodes — three int8 MatMuls for
 * Q, K and V, bias Adds, shape arithmetic, Reshapes, four Transposes, two MatMuls, the mask Add and a
 * Softmax. For a one-sentence prompt (~13 tokens) those small nodes cost about as much as the matrix
 * products; onnxruntime's own optimizer fuses attention only in float graphs. `QAttention` does the
 * same arithmetic in one kernel: one int8 GEMM over the concatenated [Q|K|V] weights (per-column
 * scales and zero points, so each matrix keeps its own quantisation) writing straight into per-head
 * layout, then the scaled dot-product attention.
 *
 * The attention mask is dropped: the embedder runs one unpadded sentence at a time (mask all ones),
 * for which the mask adds 0. Equivalence with the original graph is checked by a test
 * (attention-fusion.test.ts) on real sentences.
 */
export function fuseAttention(model: Uint8Array, numHeads: number): Uint8Array {
  let graphField: { start: number; end: number } | null = null;
  for (const f of pbFields(model, 0, model.length)) if (f.field === 7) graphField = f;
  if (graphField === null) throw new Error("model has no graph");
  const graph = fuseGraph(model, graphField.start, graphField.end, numHeads);
  const top: Uint8Array[] = [];
  for (const f of pbFields(model, 0, model.length))
    top.push(f.field === 7 ? encBytes(7, graph) : model.subarray(f.tagStart, f.end));
  // opset_import { domain: "com.microsoft", version: 1 } for QAttention.
  top.push(encBytes(8, concat([encBytes(1, new TextEncoder().encode("com.microsoft")), encVarintField(2, 1)])));
  return concat(top);
}

function fuseGraph(b: Uint8Array, start: number, end: number, numHeads: number): Uint8Array {
  const nodes: OnnxNode[] = [];
  const initializers = new Map<string, OnnxTensor>();
  const outputs: string[] = [];
  const valueInfo: Array<{ name: string; bytes: Uint8Array }> = [];
  const other: Uint8Array[] = [];
  for (const f of pbFields(b, start, end)) {
    if (f.field === 1) nodes.push(readNode(b, f));
    else if (f.field === 5) {
      const t = readTensor(b, f);
      initializers.set(t.name, t);
    } else if (f.field === 13 || f.field === 12) {
      let name = "";
      for (const g of pbFields(b, f.start, f.end)) if (g.field === 1) name = pbString(b, g);
      if (f.field === 12) {
        outputs.push(name);
        other.push(b.subarray(f.tagStart, f.end));
      } else valueInfo.push({ name, bytes: b.subarray(f.tagStart, f.end) });
    } else other.push(b.subarray(f.tagStart, f.end));
  }
  const consumers = new Map<string, OnnxNode[]>();
  const producer = new Map<string, OnnxNode>();
  for (const n of nodes) {
    for (const i of n.inputs) {
      const list = consumers.get(i);
      if (list) list.push(n);
      else consumers.set(i, [n]);
    }
    for (const o of n.outputs) producer.set(o, n);
  }
  const only = (value: string | undefined, opType: string): OnnxNode => {
    // Shape readers feed only the Reshapes the fusion removes.
    const c = (consumers.get(value ?? "") ?? []).filter((n) => n.opType !== "Shape");
    if (c.length !== 1 || c[0]?.opType !== opType)
      throw new Error(`attention fusion: ${value} is not used by one ${opType}`);
    return c[0];
  };
  const replaced = new Map<OnnxNode, { bytes: Uint8Array; inputs: string[] }>();
  const added: Uint8Array[] = [];
  let fused = 0;
  for (const dql of nodes) {
    if (dql.opType !== "DynamicQuantizeLinear") continue;
    const matmuls = (consumers.get(dql.outputs[0] ?? "") ?? []).filter((n) => n.opType === "MatMulInteger");
    if (matmuls.length !== 3) continue;
    const roles = new Map<"q" | "k" | "v", Projection>();
    let context = "";
    let contextNode: OnnxNode | null = null;
    for (const mmi of matmuls) {
      const p = projection(mmi, only, producer, initializers);
      // Follow Reshape → Transpose to the MatMul that uses it: Q·Kᵀ (Q first, K second), or probs·V.
      const transposed = only(only(p.output, "Reshape").outputs[0], "Transpose").outputs[0] ?? "";
      const use = only(transposed, "MatMul");
      if (use.inputs[0] === transposed) roles.set("q", p);
      else if (producer.get(use.inputs[0] ?? "")?.opType === "Softmax") {
        roles.set("v", p);
        contextNode = only(only(use.outputs[0], "Transpose").outputs[0], "Reshape");
        context = contextNode.outputs[0] ?? "";
      } else roles.set("k", p);
    }
    const q = roles.get("q");
    const k = roles.get("k");
    const v = roles.get("v");
    if (!q || !k || !v || contextNode === null) throw new Error("attention fusion: Q, K, V not recognised");
    const name = `${context}/fused`;
    for (const t of packQkv(name, [q, k, v])) added.push(encTensor(t));
    const inputs = [
      dql.outputs[0] ?? "",
      `${name}/weight`,
      `${name}/bias`,
      dql.outputs[1] ?? "",
      `${name}/weight_scale`,
      "", // mask_index: none (one unpadded sentence)
      dql.outputs[2] ?? "",
      `${name}/weight_zero_point`,
    ];
    const bytes = encNode({
      inputs,
      outputs: [context],
      opType: "QAttention",
      domain: "com.microsoft",
      name,
      intAttributes: { num_heads: numHeads },
    });
    replaced.set(contextNode, { bytes, inputs });
    fused += 1;
  }
  if (fused === 0) throw new Error("attention fusion: no attention block found");
  // Dead-node elimination from the graph outputs (the old Q/K/V path, shape arithmetic, mask).
  const live = new Set(outputs);
  const kept: Array<{ node: OnnxNode; bytes: Uint8Array }> = [];
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i]!;
    if (!n.outputs.some((o) => live.has(o))) continue;
    const fusedNode = replaced.get(n);
    for (const input of fusedNode?.inputs ?? n.inputs) live.add(input);
    kept.push({ node: n, bytes: fusedNode?.bytes ?? n.bytes });
  }
  kept.reverse();
  const produced = new Set(kept.flatMap((k) => k.node.outputs));
  return concat([
    ...kept.map((k) => k.bytes),
    ...[...initializers.values()].filter((t) => live.has(t.name)).map((t) => t.bytes),
    ...added,
    ...valueInfo.filter((v) => produced.has(v.name)).map((v) => v.bytes),
    ...other,
  ]);
}

interface Projection {
  weight: OnnxTensor;
  zeroPoint: OnnxTensor;
  scale: OnnxTensor;
  bias: OnnxTensor;
  /** The projection's float output (after the bias). */
  output: string;
}

/** MatMulInteger(x_q, W, x_zp, W_zp) → Cast → Mul(·, x_scale · W_scale) → Add(bias, ·). */
function projection(
  mmi: OnnxNode,
  only: (value: string | undefined, opType: string) => OnnxNode,
  producer: Map<string, OnnxNode>,
  initializers: Map<string, OnnxTensor>,
): Projection {
  const init = (name: string | undefined) => {
    const t = initializers.get(name ?? "");
    if (!t) throw new Error(`attention fusion: ${name} is not an initializer`);
    return t;
  };
  const cast = only(mmi.outputs[0], "Cast");
  const mul = only(cast.outputs[0], "Mul");
  const scales = producer.get(mul.inputs.find((i) => i !== cast.outputs[0]) ?? "");
  if (scales?.opType !== "Mul") throw new Error("attention fusion: unexpected dequantisation");
  const add = only(mul.outputs[0], "Add");
  return {
    weight: init(mmi.inputs[1]),
    zeroPoint: init(mmi.inputs[3]),
    scale: init(scales.inputs.find((i) => initializers.has(i))),
    bias: init(add.inputs.find((i) => initializers.has(i))),
    output: add.outputs[0] ?? "",
  };
}

/** [Q|K|V] weights side by side ([hidden, 3·hidden]), with per-column scales, zero points and bias. */
function packQkv(name: string, parts: Projection[]): OnnxTensor[] {
  const [rows, cols] = parts[0]!.weight.dims as [number, number];
  const dataType = parts[0]!.weight.dataType;
  for (const p of parts) {
    if (
      p.weight.dataType !== dataType ||
      p.weight.dims.join() !== `${rows},${cols}` ||
      p.weight.data.length !== rows * cols
    )
      throw new Error("attention fusion: Q, K, V weights differ in shape or type");
    if (![1, cols].includes(p.zeroPoint.data.length) || ![4, cols * 4].includes(p.scale.data.length))
      throw new Error("attention fusion: expected per-tensor or per-column quantisation");
    if (p.bias.data.length !== cols * 4) throw new Error("attention fusion: expected a bias per column");
  }
  const weight = new Uint8Array(rows * cols * 3);
  for (let r = 0; r < rows; r++)
    for (const [m, p] of parts.entries())
      weight.set(p.weight.data.subarray(r * cols, (r + 1) * cols), (r * 3 + m) * cols);
  const scale = new Float32Array(cols * 3);
  const zeroPoint = new Uint8Array(cols * 3);
  const bias = new Float32Array(cols * 3);
  // A copy: the bytes may be a view at any offset (a Buffer's slice() would not copy).
  const floats = (t: OnnxTensor) => new Float32Array(new Uint8Array(t.data).buffer);
  parts.forEach((p, m) => {
    // A per-tensor value is repeated over its matrix's columns.
    const s = floats(p.scale);
    if (s.length === 1) scale.fill(s[0] ?? 0, m * cols, (m + 1) * cols);
    else scale.set(s, m * cols);
    if (p.zeroPoint.data.length === 1) zeroPoint.fill(p.zeroPoint.data[0] ?? 0, m * cols, (m + 1) * cols);
    else zeroPoint.set(p.zeroPoint.data, m * cols);
    bias.set(floats(p.bias), m * cols);
  });
  const bytes = (a: Float32Array) => new Uint8Array(a.buffer);
  return [
    { name: `${name}/weight`, dataType, dims: [rows, cols * 3], data: weight, bytes: new Uint8Array(0) },
    { name: `${name}/bias`, dataType: FLOAT, dims: [cols * 3], data: bytes(bias), bytes: new Uint8Array(0) },
    { name: `${name}/weight_scale`, dataType: FLOAT, dims: [cols * 3], data: bytes(scale), bytes: new Uint8Array(0) },
    { name: `${name}/weight_zero_point`, dataType, dims: [cols * 3], data: zeroPoint, bytes: new Uint8Array(0) },
  ];
}
