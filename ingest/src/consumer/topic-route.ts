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

export function topicRoute<S extends z.ZodType>(options: {
  topic: string;
  schema: S;
  toRow: (event: z.infer<S>, source: SourceCoordinates) => RowDecodeResult;
  writer: BatchWriter;
}): TopicRoute {
  const { topic, schema, toRow, writer } = options;
  return {
    topic,
    writer,
    decode(message) {
      const decoded = decodeEvent(schema, message.value);
      if (!decoded.ok) return { ok: false, reason: decoded.reason };
      return toRow(decoded.value, { topic: message.topic, partition: message.partition, offset: message.offset });
    },
  };
}
