import { type MessageScope, requestSlots, responseSlots, type Slot } from "./text.ts";
import type { CheckContext, CheckInput, HookStage } from "./types.ts";

interface Read {
  input: CheckInput;
  slots: Slot[];
}

/** What checks over one body read: its slots and the check input, per message scope, made once. */
export class CheckInputs {
  // Two scopes only: plain fields, no map per request.
  #last: Read | null = null;
  #all: Read | null = null;
  private readonly stage: HookStage;
  private readonly body: unknown;
  private readonly requestJson: unknown;
  private readonly context: CheckContext;

  constructor(stage: HookStage, body: unknown, requestJson: unknown, context: CheckContext) {
    this.stage = stage;
    this.body = body;
    this.requestJson = requestJson;
    this.context = context;
  }

  of(scope: MessageScope): Read {
    if (scope === "last") {
      if (this.#last === null) this.#last = this.#read(scope);
      return this.#last;
    }
    if (this.#all === null) this.#all = this.#read(scope);
    return this.#all;
  }

  #read(scope: MessageScope): Read {
    const before = this.stage === "before";
    const slots = before ? requestSlots(this.body, scope) : responseSlots(this.body);
    const texts = slots.length === 1 ? [(slots[0] as Slot).text] : slots.map((s) => s.text);
    const c = this.context;
    // Written out rather than spread: one object shape for every check input.
    const input: CheckInput = {
      responseStatus: c.responseStatus,
      model: c.model,
      provider: c.provider,
      requestType: c.requestType,
      isStreaming: c.isStreaming,
      metadata: c.metadata,
      headers: c.headers,
      signal: c.signal,
      stage: this.stage,
      texts,
      text: texts.length === 1 ? (texts[0] as string) : texts.join("\n"),
      requestJson: before ? this.body : this.requestJson,
      responseJson: before ? null : this.body,
    };
    return { input, slots };
  }
}
