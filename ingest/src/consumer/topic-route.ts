import { decodeEvent } from "@switchyard/events";
import type { BusMessage } from "@switchyard/platform";
import type { z } from "zod";
import type { RowDecodeResult, SourceCoordinates } from "../rows/pending-row.ts";
import type { BatchWriter } from "../writer/batch-writer.ts";

/** How the one consumer loop handles a topic: decode with the topic's schema, then buffer into a table writer. */
export interface TopicRoute {
  topic: string;
  decode(message: BusMessage): RowDecodeResult;
  writer: BatchWriter;
}

/** JSON.parse, or undefined when the bytes are not JSON (decodeEvent then reports why). */
function parseJson(value: Buffer): unknown {
  try {
    return JSON.parse(value.toString()); // no arguments: straight to the UTF-8 decode
  } catch {
    return undefined;
  }
}

export function topicRoute<S extends z.ZodType>(options: {
  topic: string;
  schema: S;
  /**
   * Optional fast check (e.g. acceptsRequestEvent): true only for values the schema accepts unchanged,
   * so the schema's pass (most of the decode cost) is skipped for them; anything else goes through zod.
   */
  accepts?: (value: unknown) => value is z.infer<S>;
  toRow: (event: z.infer<S>, source: SourceCoordinates) => RowDecodeResult;
  writer: BatchWriter;
}): TopicRoute {
  const { topic, schema, accepts, toRow, writer } = options;
  return {
    topic,
    writer,
    decode(message) {
      const source = { topic: message.topic, partition: message.partition, offset: message.offset };
      if (accepts && message.value) {
        const json = parseJson(message.value);
        if (accepts(json)) return toRow(json, source);
      }
      const decoded = decodeEvent(schema, message.value);
      if (!decoded.ok) return { ok: false, reason: decoded.reason };
      return toRow(decoded.value, source);
    },
  };
}
