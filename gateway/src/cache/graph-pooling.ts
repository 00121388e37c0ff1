import { concat, encBytes, encNode, encVarintField, FLOAT, pbFields, pbString } from "./onnx-proto.ts";

const utf8 = new TextEncoder();

/**
 * Appends the sentence embedding's mean over tokens to the graph (ReduceMean over the sequence axis)
 * and makes it the only output, `name`: [batch, dims] instead of [batch, tokens, dims]. The runtime
 * then hands back 1.5 KB per sentence instead of ~23 KB of per-token states — external memory that
 * made the collector run more often, pausing lookups — and JS no longer sums them. L2 normalisation
 * stays in JS (384 multiplies).
 */
export function poolTokensInGraph(model: Uint8Array, tokenOutput: string, dims: number, name: string): Uint8Array {
  const top: Uint8Array[] = [];
  let found = false;
  for (const f of pbFields(model, 0, model.length)) {
    if (f.field !== 7) {
      top.push(model.subarray(f.tagStart, f.end));
      continue;
    }
    const graph: Uint8Array[] = [];
    for (const g of pbFields(model, f.start, f.end)) {
      if (g.field !== 12) {
        graph.push(model.subarray(g.tagStart, g.end));
        continue;
      }
      let output = "";
      for (const h of pbFields(model, g.start, g.end)) if (h.field === 1) output = pbString(model, h);
      if (output !== tokenOutput) throw new Error(`mean pooling: unexpected graph output ${output}`);
      found = true;
    }
    graph.push(
      encNode({
        inputs: [tokenOutput],
        outputs: [name],
        opType: "ReduceMean",
        domain: "",
        name: `${name}/mean`,
        intAttributes: { keepdims: 0 },
        intsAttributes: { axes: [1] },
      }),
      encBytes(12, valueInfo(name, dims)),
    );
    top.push(encBytes(7, concat(graph)));
  }
  if (!found) throw new Error(`mean pooling: no graph output ${tokenOutput}`);
  return concat(top);
}

/** ValueInfoProto { name, type: tensor(float)[batch_size, dims] }. */
function valueInfo(name: string, dims: number): Uint8Array {
  const batch = encBytes(1, encBytes(2, utf8.encode("batch_size")));
  const width = encBytes(1, encVarintField(1, dims));
  const tensor = concat([encVarintField(1, FLOAT), encBytes(2, concat([batch, width]))]);
  return concat([encBytes(1, utf8.encode(name)), encBytes(2, encBytes(1, tensor))]);
}
