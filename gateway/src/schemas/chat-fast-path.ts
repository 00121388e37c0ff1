import { ChatCompletionRequest, ChatMessage } from "./chat.ts";
import { LIMITS } from "./limits.ts";

/*
 * The chat schema's fast path for the common request (chat.ts stays the single source of truth).
 * zod's pass over a chat request costs a few µs per request and builds a copy of it; most requests
 * are a model, messages and a few scalar parameters, which plain checks answer. acceptsChatRequest
 * must hold that: true ⇒ ChatCompletionRequest.parse(value) succeeds and returns a value equal to
 * `value` with its keys in the same order (zod writes the schema's keys first, in the schema's
 * order, then the unknown ones), so the request sent upstream and the prompt stored are the same
 * bytes either way; false ⇒ the caller runs zod, which answers or names the problem as before.
 * A request it wrongly refuses only costs the slow path (chat-fast-path.test.ts checks both).
 */

type Fields = Record<string, unknown>;
const ROLES: ReadonlySet<unknown> = new Set(ChatMessage.shape.role.options);

/** A JSON-made object: Object.prototype, every key its own (JSON.parse makes nothing else). */
function isPlain(v: unknown): v is Fields {
  return typeof v === "object" && v !== null && Object.getPrototypeOf(v) === Object.prototype;
}

/** A dense array (JSON.parse makes nothing else) whose every element passes `each`. */
function isListOf(v: unknown, each: (item: unknown) => boolean): v is unknown[] {
  if (!Array.isArray(v) || Object.getPrototypeOf(v) !== Array.prototype) return false;
  for (let i = 0; i < v.length; i++) if (!(i in v) || !each(v[i])) return false;
  return true;
}

/** Keys of `v` with `first` (if present) first: zod's output order for a loose object of those shape keys. */
function startsWith(v: Fields, first: readonly string[]): boolean {
  const keys = Object.keys(v);
  let at = 0;
  for (const name of first) {
    if (keys[at] === name) at++;
    else if (Object.hasOwn(v, name)) return false; // a shape key after an unknown one: zod would move it
  }
  return true;
}

const isPart = (p: unknown): boolean => isPlain(p) && typeof p.type === "string" && startsWith(p, ["type"]);
const isContent = (c: unknown): boolean => c === null || typeof c === "string" || isListOf(c, isPart);

function isMessage(m: unknown): boolean {
  return (
    isPlain(m) &&
    ROLES.has(m.role) &&
    (m.content === undefined ? !Object.hasOwn(m, "content") : isContent(m.content)) &&
    startsWith(m, ["role", "content"])
  );
}

const isNumberOrNull = (v: unknown) => v === null || (typeof v === "number" && Number.isFinite(v));

/** The request fields the fast path checks itself; a request with any other field goes to zod. */
const CHECKS: Readonly<Record<string, (v: unknown) => boolean>> = {
  model: (v) => typeof v === "string" && v.length >= 1 && v.length <= LIMITS.modelName,
  messages: (v) => isListOf(v, isMessage) && v.length >= 1,
  stream: (v) => typeof v === "boolean",
  user: (v) => typeof v === "string" && v.length <= LIMITS.user,
  temperature: isNumberOrNull,
  top_p: isNumberOrNull,
  presence_penalty: isNumberOrNull,
  frequency_penalty: isNumberOrNull,
};
const ORDER: ReadonlyMap<string, number> = new Map(Object.keys(ChatCompletionRequest.shape).map((k, i) => [k, i]));

/** True only when ChatCompletionRequest accepts `value` as it is (see above); false means "ask zod". */
export function acceptsChatRequest(value: unknown): value is ChatCompletionRequest {
  if (!isPlain(value)) return false;
  let last = -1;
  let required = 0;
  for (const key in value) {
    const check = CHECKS[key];
    const at = ORDER.get(key);
    // Unknown fields, ones checked only by zod, and an order zod would change all take the slow path.
    if (check === undefined || at === undefined || at <= last || !check(value[key])) return false;
    last = at;
    if (key === "model" || key === "messages") required++;
  }
  return required === 2;
}
