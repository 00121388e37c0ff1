import { LRUCache } from "lru-cache";
import type { Dispatcher } from "undici";
import { type HttpCall, postUpstream, upstreamError } from "./upstream-http.ts";

/** A complete upstream answer: status, headers as undici parses them, and the whole body. */
export interface BufferedResponse {
  statusCode: number;
  headers: Dispatcher.ResponseData["headers"];
  body: Buffer;
}

/**
 * Where a URL's requests go (undici's origin + path), parsed once per distinct URL: a target's URL is
 * the same string on every request, and undici's top-level `request()` would parse it each time.
 */
const splits = new LRUCache<string, { origin: string; path: string } | false>({ max: 1024 });
function splitUrl(url: string): { origin: string; path: string } | false {
  let split = splits.get(url);
  if (split === undefined) {
    let parsed: URL | null = null;
    try {
      parsed = new URL(url);
    } catch {
      // Left to undici's own parse (postUpstream), which names the problem as it always did.
    }
    split =
      parsed !== null && (parsed.protocol === "http:" || parsed.protocol === "https:")
        ? { origin: parsed.origin, path: parsed.pathname + parsed.search }
        : false;
    splits.set(url, split);
  }
  return split;
}

/**
 * A raw undici handler that gathers the answer into one Buffer. The JSON path needs the whole body
 * anyway; undici's `request()` would wrap it in an AsyncResource, a Readable stream and its consume
 * machinery first (measured: a noticeable share of the gateway's CPU per request).
 */
class BufferingHandler {
  statusCode = 0;
  headers: Dispatcher.ResponseData["headers"] = {};
  /** Headers arrived: a failure from here on is the body's (undici's request() would surface it raw, from the body read). */
  started = false;
  readonly #chunks: Buffer[] = [];
  #controller: { abort(reason: unknown): void } | null = null;
  readonly #call: HttpCall;
  readonly #signal: AbortSignal;
  readonly #resolve: (response: BufferedResponse) => void;
  readonly #reject: (error: unknown) => void;
  readonly #onAbort = () => this.#controller?.abort(this.#signal.reason);

  constructor(call: HttpCall, resolve: (r: BufferedResponse) => void, reject: (e: unknown) => void) {
    this.#call = call;
    this.#signal = call.signal;
    this.#resolve = resolve;
    this.#reject = reject;
  }

  onRequestStart(controller: { abort(reason: unknown): void }): void {
    if (this.#signal.aborted) {
      controller.abort(this.#signal.reason);
      return;
    }
    this.#controller = controller;
    // No {once}: an abort fires once and every end removes the listener; the options object makes
    // adding and removing an EventTarget listener markedly slower (it runs on every upstream call).
    this.#signal.addEventListener("abort", this.#onAbort);
  }

  onResponseStart(_c: unknown, statusCode: number, headers: Dispatcher.ResponseData["headers"]): void {
    if (statusCode < 200) return; // informational (1xx): the real answer follows
    this.statusCode = statusCode;
    this.headers = headers;
    this.started = true;
  }

  onResponseData(_c: unknown, chunk: Buffer): void {
    this.#chunks.push(chunk);
  }

  onResponseEnd(): void {
    this.#signal.removeEventListener("abort", this.#onAbort);
    const chunks = this.#chunks;
    const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
    this.#resolve({ statusCode: this.statusCode, headers: this.headers, body });
  }

  /** postUpstream's error contract, applied here so the call needs no async wrapper (one promise per call). */
  onResponseError(_c: unknown, error: unknown): void {
    this.#signal.removeEventListener("abort", this.#onAbort);
    this.#reject(this.started ? error : upstreamError(this.#call, error));
  }
}

/**
 * POSTs a JSON (or empty) body and reads the whole answer, with postUpstream's error contract: a
 * failure before the answer's headers becomes the same gateway error (host named, never the
 * credential; a client abort rethrown as is), a failure while reading the body is thrown as undici
 * raised it, as reading `request()`'s body would. A URL undici's dispatcher cannot take as is goes
 * through postUpstream.
 */
export function postUpstreamBuffered(call: HttpCall & { body: string | null }): Promise<BufferedResponse> {
  const split = splitUrl(call.url);
  if (split === false) return postUpstreamWhole(call);
  return new Promise<BufferedResponse>((resolve, reject) => {
    // undici reports a failure to dispatch through the handler's onResponseError, synchronously.
    call.dispatcher.dispatch(
      {
        origin: split.origin,
        path: split.path,
        method: call.method ?? "POST",
        headers: call.headers,
        body: call.body,
      },
      new BufferingHandler(call, resolve, reject),
    );
  });
}

/** A URL undici's dispatcher cannot take as is: through postUpstream (undici's own parse names the problem). */
async function postUpstreamWhole(call: HttpCall & { body: string | null }): Promise<BufferedResponse> {
  const response = await postUpstream(call);
  return {
    statusCode: response.statusCode,
    headers: response.headers,
    body: Buffer.from(await response.body.arrayBuffer()),
  };
}
