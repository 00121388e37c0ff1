/**
 * Incremental server-sent-events parser: feeds on raw bytes, yields each event's `data`
 * as soon as the event's terminating blank line arrives, so nothing is held back.
 */
export async function* sseData(body: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const bytes of body) {
    buffer += decoder.decode(bytes, { stream: true });
    let boundary = nextBoundary(buffer);
    while (boundary !== null) {
      const data = dataOf(buffer.slice(0, boundary.index));
      buffer = buffer.slice(boundary.index + boundary.length);
      if (data !== null) yield data;
      boundary = nextBoundary(buffer);
    }
  }
  buffer += decoder.decode();
  const tail = dataOf(buffer);
  if (tail !== null) yield tail;
}

/**
 * The same parser, yielding each event whole: `raw` is its text exactly as received, blank line
 * included (relayed byte for byte by a native pass-through), `data` its joined data lines or null.
 */
export async function* sseFrames(
  body: AsyncIterable<Uint8Array>,
): AsyncGenerator<{ raw: string; data: string | null }> {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const bytes of body) {
    buffer += decoder.decode(bytes, { stream: true });
    let boundary = nextBoundary(buffer);
    while (boundary !== null) {
      const end = boundary.index + boundary.length;
      const raw = buffer.slice(0, end);
      buffer = buffer.slice(end);
      yield { raw, data: dataOf(raw.slice(0, boundary.index)) };
      boundary = nextBoundary(buffer);
    }
  }
  buffer += decoder.decode();
  if (buffer !== "") yield { raw: buffer, data: dataOf(buffer) };
}

function nextBoundary(buffer: string): { index: number; length: number } | null {
  const lf = buffer.indexOf("\n\n");
  const crlf = buffer.indexOf("\r\n\r\n");
  if (lf === -1 && crlf === -1) return null;
  if (crlf !== -1 && (lf === -1 || crlf < lf)) return { index: crlf, length: 4 };
  return { index: lf, length: 2 };
}

/** Joins the `data:` lines of one event (spec: multiple data lines joined by \n); comments ignored. */
function dataOf(event: string): string | null {
  let data: string | null = null;
  for (const line of event.split(/\r?\n/)) {
    if (!line.startsWith("data:")) continue;
    const value = line.charCodeAt(5) === 32 ? line.slice(6) : line.slice(5);
    data = data === null ? value : `${data}\n${value}`;
  }
  return data;
}
