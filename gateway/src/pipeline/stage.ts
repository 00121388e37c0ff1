import type { Provider, ProviderTarget } from "../providers/provider.ts";
import type { ResolvedLeaf } from "../routing/index.ts";
import type { ParsedContext, RequestContext } from "./context.ts";
import type { PreparedTarget } from "./prepare-targets.ts";
import type { Reply } from "./reply.ts";

/**
 * A request-level stage: a small function over the context. It may
 * - answer early: return a Reply without calling `next` (a cache hit, a denial, a refusal);
 * - transform the request: write `ctx.request` (or other fields it owns) before calling `next`;
 * - observe or transform the result: look at / replace the Reply `next` returns, or wrap its
 *   stream with `transformStream` to see every chunk and the end of the stream;
 * - fail: throw a GatewayError (a 4xx/5xx the client sees; the event records it).
 * The order and what each stage may read and write are in README.md beside this file.
 */
export interface RequestStage {
  readonly name: string;
  run(ctx: RequestContext, next: () => Promise<Reply>): Promise<Reply>;
}

/** One upstream try, as the attempt-level stages see it. */
export interface AttemptContext {
  readonly request: ParsedContext<unknown>;
  readonly leaf: ResolvedLeaf;
  readonly prepared: PreparedTarget;
  readonly provider: Provider;
  /** The request with the leaf's override_params applied: what this attempt sends. */
  body: unknown;
  /** The model this attempt asks for. */
  readonly model: string;
  /** 0 for the target's first try, n for its n-th retry. */
  readonly retry: number;
  /** The target as this attempt calls it; stages may add forward headers (traceparent). */
  target: ProviderTarget;
  /** Aborted on client disconnect or this attempt's request_timeout. */
  readonly signal: AbortSignal;
}

/** An attempt-level stage around each provider call (per-attempt telemetry, a per-target cache). */
export interface AttemptStage {
  readonly name: string;
  run(attempt: AttemptContext, next: () => Promise<Reply>): Promise<Reply>;
}

/** Runs `stages` in order around `last`; each stage decides whether and when to call the next. */
export function runChain<C>(
  stages: ReadonlyArray<{ run(ctx: C, next: () => Promise<Reply>): Promise<Reply> }>,
  ctx: C,
  last: (ctx: C) => Promise<Reply>,
): Promise<Reply> {
  const step = (i: number): Promise<Reply> => {
    const stage = stages[i];
    return stage === undefined ? last(ctx) : stage.run(ctx, () => step(i + 1));
  };
  return step(0);
}

/**
 * `stage` only for the attempts `applies` accepts; the others go straight on to the next stage with
 * no promise of the stage's own (an async stage that returns `next()` costs a promise and two
 * microtask turns per attempt even when its feature is off). Same name, so customizers still find it.
 */
export function attemptStageWhen(stage: AttemptStage, applies: (attempt: AttemptContext) => boolean): AttemptStage {
  return { name: stage.name, run: (attempt, next) => (applies(attempt) ? stage.run(attempt, next) : next()) };
}

/**
 * For whatever wraps the rest of the chain (a stage, the transport): `next()`'s reply through `onReply`,
 * or its failure — a synchronous throw below counts as one — through `onFailure` (which rethrows, or
 * answers in its place). One `.then` instead of an async function and its await: a promise and two
 * microtask turns less per request.
 */
export function thenNext<R>(
  next: () => Promise<Reply>,
  onReply: (reply: Reply) => R | PromiseLike<R>,
  onFailure: (error: unknown) => R | PromiseLike<R>,
): Promise<R> {
  let pending: Promise<Reply>;
  try {
    pending = next();
  } catch (error) {
    try {
      return Promise.resolve(onFailure(error));
    } catch (rethrown) {
      return Promise.reject(rethrown);
    }
  }
  return pending.then(onReply, onFailure);
}
