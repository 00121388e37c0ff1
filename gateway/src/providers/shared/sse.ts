/**
 * Incremental server-sent-events parsing: feeds on raw bytes and hands out each event as soon as
 * its terminating blank line arrives, so nothing is held back. One splitter serves both readers.
 */
interface SseEvent {
  /** The event's text exactly as received, blank line included. */
  raw: string;
  /** The event's text before its blank line. */
  text: string;
}

/** Decoded text → whole events; `push` returns those the bytes completed (usually zero or one). */
class EventSplitter {
  readonly #decoder = new TextDecoder();
  #buffer = "";

  push(bytes: Uint8Array): SseEvent[] {
    this.#buffer += this.#decoder.decode(bytes, { stream: true });
    const events: SseEvent[] = [];
    let boundary = nextBoundary(this.#buffer);
    while (boundary !== null) {
      const end = boundary.index + boundary.length;
      events.push({ raw: this.#buffer.slice(0, end), text: this.#buffer.slice(0, boundary.index) });
      this.#buffer = this.#buffer.slice(end);
      boundary = nextBoundary(this.#buffer);
    }
    return events;
  }

  /** The unterminated text left when the body ended ("" when none). */
  end(): string {
    this.#buffer += this.#decoder.decode();
    return this.#buffer;
  }
}

/** Each event's `data` (its data lines joined); events without data lines are skipped. */
export async function* sseData(body: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  const splitter = new EventSplitter();
  for await (const bytes of body) {
    for (const event of splitter.push(bytes)) {
      const data = dataOf(event.text);
      if (data !== null) yield data;
    }
  }
  const tail = dataOf(splitter.end());
  if (tail !== null) yield tail;
}

/**
 * Each event whole: `raw` is its text exactly as received, blank line included (relayed byte for
 * byte by a native pass-through), `data` its joined data lines or null.
 */
export async function* sseFrames(
  body: AsyncIterable<Uint8Array>,
): AsyncGenerator<{ raw: string; data: string | null }> {
  const splitter = new EventSplitter();
  for await (const bytes of body) {
    for (const event of splitter.push(bytes)) yield { raw: event.raw, data: dataOf(event.text) };
  }
  const tail = splitter.end();
  if (tail !== "") yield { raw: tail, data: dataOf(tail) };
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
