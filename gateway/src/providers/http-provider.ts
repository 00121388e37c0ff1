import type { Usage } from "@switchyard/events";
import type { Dispatcher } from "undici";
import type { HttpRequestSpec, MessagesTransform, ParsedResponse, ProviderAdapter } from "./adapter.ts";
import { mediaMethods } from "./media-calls.ts";
import type {
  CompletionResult,
  NativeMessagesCall,
  Provider,
  ProviderAuth,
  ProviderCapabilities,
  ProviderTarget,
  StreamChunk,
  StreamOpenResult,
  TargetIssue,
  TextCompletionCall,
  UpstreamCall,
} from "./provider.ts";
import { checkCapabilities } from "./shared/capabilities.ts";
import { errorResult, rejectedResult } from "./shared/errors.ts";
import { RequestRejected } from "./shared/rejected.ts";
import { targetCredentials } from "./shared/scrub-secrets.ts";
import { estimateChatUsage, estimateTextUsage } from "./shared/tokens.ts";
import { storedResponseCall } from "./stored-responses.ts";
import { postUpstreamBuffered } from "./upstream-buffered.ts";
import { passThroughHeaders, postUpstream } from "./upstream-http.ts";
import { inputText, nativeInputText, reported, withUsage, withUsageBlock } from "./usage-fill.ts";

const OK = (status: number) => status >= 200 && status < 300;

/** How a call's answers are shaped when not the gateway's OpenAI ones (native /v1/messages). */
interface AnswerShape extends Pick<MessagesTransform, "error" | "usageChunk"> {
  /** A 2xx body is the upstream's own, for the client as it is (CompletionResult.passThrough). */
  passThrough: boolean;
}

/** A Provider over HTTP from an adapter: the same call, error, estimate and rejection handling for all. */
export class HttpProvider implements Provider {
  readonly id: string;
  readonly capabilities: ProviderCapabilities;
  readonly auth: ProviderAuth;
  readonly models: readonly string[];
  readonly upstreamUrl: (target: ProviderTarget) => string;
  private readonly adapter: ProviderAdapter;
  private readonly dispatcher: Dispatcher;

  constructor(adapter: ProviderAdapter, dispatcher: Dispatcher) {
    this.adapter = adapter;
    this.dispatcher = dispatcher;
    this.id = adapter.id;
    this.capabilities = adapter.capabilities;
    this.auth = adapter.auth;
    this.models = adapter.models;
    this.upstreamUrl = (target) => adapter.upstreamUrl(target);
    const embeddings = adapter.embeddings;
    if (embeddings)
      this.embed = (call) =>
        this.json(
          call,
          () => embeddings.request(call),
          (b) => embeddings.response(b, call),
          (r) => estimateTextUsage(inputText(call.request.input), r.outputText ?? ""),
        );
    const completions = adapter.completions;
    if (completions) {
      const estimate = (call: TextCompletionCall) => (output: string) =>
        estimateTextUsage(inputText(call.request.prompt), output);
      this.completeText = (call) =>
        this.json(
          call,
          () => completions.request(call, false),
          (b) => completions.response(b, call),
          (r) => estimate(call)(r.outputText ?? ""),
        );
      this.streamText = (call) =>
        this.open(
          call,
          () => completions.request(call, true),
          (b) => completions.stream(b, call),
          estimate(call),
        );
    }
    const messages = adapter.messages;
    if (messages) {
      // Native calls answer in the API's own shape, errors included (not the gateway's OpenAI body).
      const native = { error: messages.error, usageChunk: messages.usageChunk, passThrough: true };
      const estimate = (call: NativeMessagesCall) => (output: string) =>
        estimateTextUsage(nativeInputText(call.body), output);
      this.messages = (call) =>
        this.json(
          call,
          () => messages.request(call, false),
          (b) => messages.response(b, call),
          (r) => estimate(call)(r.outputText ?? ""),
          native,
        );
      this.messagesStream = (call) =>
        this.open(
          call,
          () => messages.request(call, true),
          (b) => messages.stream(b, call),
          estimate(call),
          native,
        );
    }
    const media = adapter.media;
    if (media) Object.assign(this, mediaMethods({ ...adapter, media }, dispatcher));
    const responses = adapter.responses;
    if (responses) {
      // The body passes through; errors are OpenAI's shape already, as on the chat path.
      const native = { error: this.errorResult, usageChunk: responses.usageChunk, passThrough: true };
      // The Responses input is `instructions` plus `input` (a string or message items).
      const inputOf = (body: Record<string, unknown>) =>
        nativeInputText({
          system: body.instructions,
          messages: typeof body.input === "string" ? [{ content: body.input }] : body.input,
        });
      const estimate = (call: NativeMessagesCall) => (output: string) => estimateTextUsage(inputOf(call.body), output);
      this.responses = (call) =>
        this.json(
          call,
          () => responses.request(call, false),
          (b) => responses.response(b, call),
          (r) => estimate(call)(r.outputText ?? ""),
          native,
        );
      const stored = responses.stored;
      if (stored) {
        const get = storedResponseCall(adapter, dispatcher);
        this.storedResponse = (call) => get(call, stored(call.target, call.path));
      }
      this.responsesStream = (call) =>
        this.open(
          call,
          () => responses.request(call, true),
          (b) => responses.stream(b, call),
          estimate(call),
          native,
        );
    }
  }

  embed?: Provider["embed"];
  media?: Provider["media"];
  images?: Provider["images"];
  speech?: Provider["speech"];
  transcribe?: Provider["transcribe"];
  responses?: Provider["responses"];
  storedResponse?: Provider["storedResponse"];
  responsesStream?: Provider["responsesStream"];
  completeText?: Provider["completeText"];
  streamText?: Provider["streamText"];
  messages?: Provider["messages"];
  messagesStream?: Provider["messagesStream"];

  validateTarget(target: ProviderTarget): TargetIssue | null {
    return this.adapter.validateTarget(target);
  }

  complete(call: UpstreamCall): Promise<CompletionResult> {
    return this.json(
      call,
      () => this.chatRequest(call, false),
      (body) => this.adapter.chat.response(body, call),
      (parsed) => estimateChatUsage(call.request, parsed.outputText ?? ""),
    );
  }

  stream(call: UpstreamCall): Promise<StreamOpenResult> {
    return this.open(
      call,
      () => this.chatRequest(call, true),
      (body) => this.adapter.chat.stream(body, call),
      (output) => estimateChatUsage(call.request, output),
    );
  }

  /** The gateway's OpenAI-shaped error body for an upstream error (errors.ts). */
  private readonly errorResult: AnswerShape["error"] = (status, headers, body, rawHeaders, credentials) =>
    errorResult(this.adapter, status, headers, body, rawHeaders, credentials);

  /** What the request needs that the provider lacks is refused first; then the adapter builds it. */
  private chatRequest(call: UpstreamCall, stream: boolean): HttpRequestSpec | Promise<HttpRequestSpec> {
    checkCapabilities(this.id, this.capabilities, call.request);
    return this.adapter.chat.request(call, stream);
  }

  private async json(
    call: { signal: AbortSignal; target: ProviderTarget },
    build: () => HttpRequestSpec | Promise<HttpRequestSpec>,
    transform: (body: Buffer) => ParsedResponse,
    estimate: (parsed: ParsedResponse) => Promise<Usage>,
    shape: Partial<AnswerShape> = {},
  ): Promise<CompletionResult> {
    let spec: HttpRequestSpec;
    try {
      // Most adapters build synchronously: no await (a microtask turn) unless the build is async.
      const built = build();
      spec = built instanceof Promise ? await built : built;
    } catch (error) {
      if (error instanceof RequestRejected) return rejectedResult(this.id, error);
      throw error;
    }
    const response = await postUpstreamBuffered({ dispatcher: this.dispatcher, ...spec, signal: call.signal });
    const headers = passThroughHeaders(response.headers);
    const body = response.body;
    if (!OK(response.statusCode)) {
      const error = shape.error ?? this.errorResult;
      return error(response.statusCode, headers, body, response.headers, targetCredentials(call.target));
    }
    let parsed: ParsedResponse;
    try {
      parsed = transform(body);
    } catch (error) {
      const info = {
        message: `unreadable upstream response: ${(error as Error).message}`,
        type: "invalid_upstream_response",
      };
      const rendered = {
        error: { ...info, message: `${this.id} error: ${info.message}`, param: null, code: null },
        provider: this.id,
      };
      return {
        status: 502,
        headers,
        body: Buffer.from(JSON.stringify(rendered)),
        usage: null,
        model: null,
        failure: info,
        responseId: null,
        finishReasons: null,
      };
    }
    const usage = reported(parsed.usage) ?? (await estimate(parsed));
    const out = Buffer.isBuffer(parsed.body)
      ? parsed.body
      : Buffer.from(JSON.stringify(withUsageBlock(parsed.body, usage)));
    return {
      status: response.statusCode,
      headers,
      body: out,
      usage,
      model: parsed.model,
      failure: null,
      responseId: parsed.responseId,
      finishReasons: parsed.finishReasons,
      ...(shape.passThrough ? { passThrough: true } : {}),
    };
  }

  private async open(
    call: { signal: AbortSignal; target: ProviderTarget },
    build: () => HttpRequestSpec | Promise<HttpRequestSpec>,
    transform: (body: AsyncIterable<Uint8Array>) => AsyncIterable<StreamChunk>,
    estimate: (output: string) => Promise<Usage>,
    shape: Partial<AnswerShape> = {},
  ): Promise<StreamOpenResult> {
    let spec: HttpRequestSpec;
    try {
      spec = await build();
    } catch (error) {
      if (error instanceof RequestRejected) return { ok: false, result: rejectedResult(this.id, error) };
      throw error;
    }
    const response = await postUpstream({ dispatcher: this.dispatcher, ...spec, signal: call.signal });
    const headers = passThroughHeaders(response.headers);
    if (!OK(response.statusCode)) {
      const body = Buffer.from(await response.body.arrayBuffer());
      const error = shape.error ?? this.errorResult;
      return {
        ok: false,
        result: error(response.statusCode, headers, body, response.headers, targetCredentials(call.target)),
      };
    }
    return {
      ok: true,
      status: response.statusCode,
      headers,
      chunks: withUsage(transform(response.body), estimate, shape.usageChunk),
    };
  }
}
