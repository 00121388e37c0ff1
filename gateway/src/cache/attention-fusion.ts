import {
  FLOAT,
  type Graph,
  graphWith,
  type Model,
  type Node,
  node,
  rewriting,
  type Tensor,
  tensor,
  tensorBytes,
  tensorDims,
  withGraph,
} from "./onnx-model.ts";

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
 * (attention-fusion.test.ts) on real sentences. Bytes in, bytes out; or a decoded model in, a new
 * one out (the input is not changed).
 */
export function fuseAttention<M extends Uint8Array | Model>(model: M, numHeads: number): M {
  return rewriting(model, (m) => {
    if (!m.graph) throw new Error("model has no graph");
    // opset_import { domain: "com.microsoft", version: 1 } for QAttention.
    return withGraph(m, fuseGraph(m.graph, numHeads), [{ domain: "com.microsoft", version: 1 }]);
  });
}

function fuseGraph(graph: Graph, numHeads: number): Graph {
  const nodes = graph.node;
  const initializers = new Map<string, Tensor>(graph.initializer.map((t) => [t.name, t]));
  const outputs = graph.output.map((o) => o.name);
  const consumers = new Map<string, Node[]>();
  const producer = new Map<string, Node>();
  for (const n of nodes) {
    for (const i of n.input) {
      const list = consumers.get(i);
      if (list) list.push(n);
      else consumers.set(i, [n]);
    }
    for (const o of n.output) producer.set(o, n);
  }
  const only = (value: string | undefined, opType: string): Node => {
    // Shape readers feed only the Reshapes the fusion removes.
    const c = (consumers.get(value ?? "") ?? []).filter((n) => n.opType !== "Shape");
    if (c.length !== 1 || c[0]?.opType !== opType)
      throw new Error(`attention fusion: ${value} is not used by one ${opType}`);
    return c[0];
  };
  const replaced = new Map<Node, Node>();
  const added: Tensor[] = [];
  let fused = 0;
  for (const dql of nodes) {
    if (dql.opType !== "DynamicQuantizeLinear") continue;
    const matmuls = (consumers.get(dql.output[0] ?? "") ?? []).filter((n) => n.opType === "MatMulInteger");
    if (matmuls.length !== 3) continue;
    const roles = new Map<"q" | "k" | "v", Projection>();
    let context = "";
    let contextNode: Node | null = null;
    for (const mmi of matmuls) {
      const p = projection(mmi, only, producer, initializers);
      // Follow Reshape → Transpose to the MatMul that uses it: Q·Kᵀ (Q first, K second), or probs·V.
      const transposed = only(only(p.output, "Reshape").output[0], "Transpose").output[0] ?? "";
      const use = only(transposed, "MatMul");
      if (use.input[0] === transposed) roles.set("q", p);
      else if (producer.get(use.input[0] ?? "")?.opType === "Softmax") {
        roles.set("v", p);
        contextNode = only(only(use.output[0], "Transpose").output[0], "Reshape");
        context = contextNode.output[0] ?? "";
      } else roles.set("k", p);
    }
    const q = roles.get("q");
    const k = roles.get("k");
    const v = roles.get("v");
    if (!q || !k || !v || contextNode === null) throw new Error("attention fusion: Q, K, V not recognised");
    const name = `${context}/fused`;
    added.push(...packQkv(name, [q, k, v]));
    const inputs = [
      dql.output[0] ?? "",
      `${name}/weight`,
      `${name}/bias`,
      dql.output[1] ?? "",
      `${name}/weight_scale`,
      "", // mask_index: none (one unpadded sentence)
      dql.output[2] ?? "",
      `${name}/weight_zero_point`,
    ];
    const attention = node({
      inputs,
      outputs: [context],
      opType: "QAttention",
      domain: "com.microsoft",
      name,
      ints: { num_heads: numHeads },
    });
    replaced.set(contextNode, attention);
    fused += 1;
  }
  if (fused === 0) throw new Error("attention fusion: no attention block found");
  // Dead-node elimination from the graph outputs (the old Q/K/V path, shape arithmetic, mask).
  const live = new Set(outputs);
  const kept: Node[] = [];
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i]!;
    if (!n.output.some((o) => live.has(o))) continue;
    const kept1 = replaced.get(n) ?? n;
    for (const input of kept1.input) live.add(input);
    kept.push(kept1);
  }
  kept.reverse();
  const produced = new Set(kept.flatMap((n) => n.output));
  return graphWith(graph, {
    node: kept,
    initializer: [...graph.initializer.filter((t) => live.has(t.name)), ...added],
    valueInfo: graph.valueInfo.filter((v) => produced.has(v.name)),
  });
}

/** A tensor's element type, dims and bytes. */
interface Elements {
  dataType: number;
  dims: number[];
  data: Uint8Array;
}

interface Projection {
  weight: Elements;
  zeroPoint: Elements;
  scale: Elements;
  bias: Elements;
  /** The projection's float output (after the bias). */
  output: string;
}

/** MatMulInteger(x_q, W, x_zp, W_zp) → Cast → Mul(·, x_scale · W_scale) → Add(bias, ·). */
function projection(
  mmi: Node,
  only: (value: string | undefined, opType: string) => Node,
  producer: Map<string, Node>,
  initializers: Map<string, Tensor>,
): Projection {
  const init = (name: string | undefined): Elements => {
    const t = initializers.get(name ?? "");
    if (!t) throw new Error(`attention fusion: ${name} is not an initializer`);
    return { dataType: t.dataType, dims: tensorDims(t), data: tensorBytes(t) };
  };
  const cast = only(mmi.output[0], "Cast");
  const mul = only(cast.output[0], "Mul");
  const scales = producer.get(mul.input.find((i) => i !== cast.output[0]) ?? "");
  if (scales?.opType !== "Mul") throw new Error("attention fusion: unexpected dequantisation");
  const add = only(mul.output[0], "Add");
  return {
    weight: init(mmi.input[1]),
    zeroPoint: init(mmi.input[3]),
    scale: init(scales.input.find((i) => initializers.has(i))),
    bias: init(add.input.find((i) => initializers.has(i))),
    output: add.output[0] ?? "",
  };
}

/** [Q|K|V] weights side by side ([hidden, 3·hidden]), with per-column scales, zero points and bias. */
function packQkv(name: string, parts: Projection[]): Tensor[] {
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
  const floats = (t: Elements) => new Float32Array(new Uint8Array(t.data).buffer);
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
    tensor(`${name}/weight`, dataType, [rows, cols * 3], weight),
    tensor(`${name}/bias`, FLOAT, [cols * 3], bytes(bias)),
    tensor(`${name}/weight_scale`, FLOAT, [cols * 3], bytes(scale)),
    tensor(`${name}/weight_zero_point`, dataType, [cols * 3], zeroPoint),
  ];
}
