import { type MessageScope, requestSlots, responseSlots, type Slot } from "./text.ts";
import type { CheckContext, CheckInput, HookStage } from "./types.ts";

const slotsOf = (stage: HookStage, body: unknown, scope: "last" | "all"): Slot[] =>
  stage === "before" ? requestSlots(body, scope) : responseSlots(body);

/** What checks over one body read: its slots and the check input, per message scope, made once. */
export class CheckInputs {
  readonly #byScope = new Map<MessageScope, { input: CheckInput; slots: Slot[] }>();
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

  of(scope: MessageScope): { input: CheckInput; slots: Slot[] } {
    let found = this.#byScope.get(scope);
    if (found === undefined) {
      const slots = slotsOf(this.stage, this.body, scope);
      const texts = slots.map((s) => s.text);
      const input: CheckInput = {
        ...this.context,
        stage: this.stage,
        texts,
        text: texts.length === 1 ? (texts[0] as string) : texts.join("\n"),
        requestJson: this.stage === "before" ? this.body : this.requestJson,
        responseJson: this.stage === "after" ? this.body : null,
      };
      found = { input, slots };
      this.#byScope.set(scope, found);
    }
    return found;
  }
}
