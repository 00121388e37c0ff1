import type { z } from "zod";

/** Which side of the provider call a hook runs on (Portkey: before_request_hooks / after_request_hooks). */
export type HookStage = "before" | "after";

/** What a check sees. Texts are the checked message texts (the last message by default, or all). */
export interface CheckInput {
  readonly stage: HookStage;
  /** The checked texts, one per text slot (a message's string content or text part). */
  readonly texts: readonly string[];
  /** The checked texts joined with "\n": what text checks read. */
  readonly text: string;
  /** The request body as this attempt sends it (after earlier mutators). */
  readonly requestJson: unknown;
  /** The provider's answer (after hooks only; null before, or for a stream without a JSON body). */
  readonly responseJson: unknown;
  readonly responseStatus: number | null;
  readonly model: string;
  readonly provider: string;
  /** The endpoint as Portkey names request types: chatComplete, complete, embed, messages. */
  readonly requestType: string;
  readonly isStreaming: boolean;
  readonly metadata: Readonly<Record<string, string>>;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly signal: AbortSignal;
}

/** What the checks get besides the text (everything but stage, texts and the bodies). */
export type CheckContext = Omit<CheckInput, "stage" | "texts" | "text" | "requestJson" | "responseJson">;

/** A check's answer. `texts` (mutators only) replaces the checked texts, slot by slot. */
export interface CheckOutcome {
  verdict: boolean;
  /** Shown in hook_results.checks[].data: counts, pattern sources, never the matched text. */
  data?: Record<string, unknown>;
  /** Recorded in the event: why, in words, never quoting the checked text. */
  explanation?: string;
  texts?: string[];
  /** Set when a check rewrote the whole request body (webhook transformedData). */
  requestJson?: unknown;
  responseJson?: unknown;
}

export type CheckFn = (input: CheckInput) => CheckOutcome | Promise<CheckOutcome>;

/** Outside services a check may use (webhook, log, validUrls, jwt): injected, so tests run them for real. */
export interface CheckServices {
  /** Throws when the URL points at a private address the operator has not allow-listed (SSRF guard). */
  checkUrl(url: string, param: string): Promise<void>;
  fetch: typeof fetch;
}

/**
 * One built-in check: Portkey's id, the hooks it may run in, its parameters (zod, Portkey's names and
 * defaults), and `prepare`, which compiles the parameters once per config (regexes, JSON schemas) and
 * may throw a ParameterProblem for what a schema cannot express.
 */
export interface CheckDefinition<P = Record<string, unknown>> {
  readonly id: string;
  readonly stages: readonly HookStage[];
  readonly params: z.ZodType<P>;
  /** The check rewrites the texts (a mutator's work): never inverted by `not`. */
  readonly transforms?: boolean;
  /** With these parameters it does rewrite (pii only with `redact`); absent: whenever `transforms`. */
  readonly rewrites?: (params: Record<string, unknown>) => boolean;
  /** `not: true` does not invert it (log, webhook: their verdict is the service's). */
  readonly fixedVerdict?: boolean;
  prepare(params: P, services: CheckServices): CheckFn;
}

/** A parameter that parses but cannot be used (a regex RE2 refuses, a schema that does not compile). */
export class ParameterProblem extends Error {
  readonly param: string;
  constructor(param: string, message: string) {
    super(message);
    this.param = param;
  }
}

/** Where a check result keeps what only the event gets (not serialised: symbol keys are skipped by JSON). */
export const EXPLANATION: unique symbol = Symbol("explanation");

export interface CheckResult {
  id: string;
  verdict: boolean;
  data: Record<string, unknown> | null;
  error?: { name: string; message: string };
  execution_time: number;
  transformed: boolean;
  created_at: string;
  log: null;
  fail_on_error: boolean;
  /** The event's explanation: under a symbol key, so JSON.stringify (the wire) leaves it out. */
  [EXPLANATION]: string | null;
}

export interface HookResult {
  id: string;
  type: "guardrail" | "mutator";
  verdict: boolean;
  deny: boolean;
  async: boolean;
  transformed: boolean;
  execution_time: number;
  created_at: string;
  feedback: { value: number; weight: number; metadata: Record<string, unknown> } | null;
  checks: CheckResult[];
}
