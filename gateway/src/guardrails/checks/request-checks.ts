import { z } from "zod";
import type { CheckDefinition } from "../types.ts";

/** Checks on the request itself (model, endpoint, metadata) and the one request mutator, addPrefix. */

const modelWhitelist: CheckDefinition<{ models: string[] }> = {
  id: "default.modelWhitelist",
  stages: ["before"],
  params: z.looseObject({ models: z.array(z.string().min(1)).min(1) }),
  prepare(p) {
    const allowed = new Set(p.models);
    return ({ model }) => {
      const verdict = allowed.has(model);
      return {
        verdict,
        data: { model },
        explanation: verdict ? `model ${model} is allowed` : `model ${model} is not allowed`,
      };
    };
  },
};

const ModelRules = z.looseObject({
  defaults: z.array(z.string()).default([]),
  metadata: z.record(z.string(), z.record(z.string(), z.array(z.string()))).default({}),
});

const modelRules: CheckDefinition<{ rules: z.infer<typeof ModelRules> }> = {
  id: "default.modelRules",
  stages: ["before"],
  params: z.looseObject({ rules: ModelRules }),
  prepare(p) {
    return ({ model, metadata }) => {
      // Models allowed by the request's metadata values; the defaults when no metadata rule applies.
      const byMetadata: string[] = [];
      for (const [key, values] of Object.entries(p.rules.metadata)) {
        const value = metadata[key];
        if (value !== undefined) byMetadata.push(...(values[value] ?? []));
      }
      const allowed = byMetadata.length > 0 ? byMetadata : p.rules.defaults;
      const verdict = allowed.includes(model);
      return {
        verdict,
        data: { model },
        explanation: verdict ? `model ${model} is allowed` : `model ${model} is not allowed here`,
      };
    };
  },
};

const listOf = (value: string | undefined): string[] =>
  value === undefined
    ? []
    : value
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean);

const allowedRequestTypes: CheckDefinition<{
  allowedTypes?: string[] | undefined;
  blockedTypes?: string[] | undefined;
}> = {
  id: "default.allowedRequestTypes",
  stages: ["before"],
  params: z.looseObject({ allowedTypes: z.array(z.string()).optional(), blockedTypes: z.array(z.string()).optional() }),
  prepare(p) {
    return ({ requestType, metadata }) => {
      const allowed = [...(p.allowedTypes ?? []), ...listOf(metadata.supported_endpoints)];
      const blocked = [...(p.blockedTypes ?? []), ...listOf(metadata.blocked_endpoints)];
      // Blocked wins; an empty allow list allows everything not blocked.
      const verdict = !blocked.includes(requestType) && (allowed.length === 0 || allowed.includes(requestType));
      return {
        verdict,
        data: { requestType },
        explanation: `request type ${requestType} is ${verdict ? "" : "not "}allowed`,
      };
    };
  },
};

const requiredMetadataKeys: CheckDefinition<{ metadataKeys: string[]; operator: "all" | "any" | "none" }> = {
  id: "default.requiredMetadataKeys",
  stages: ["before"],
  params: z.looseObject({
    metadataKeys: z.array(z.string().min(1)).min(1),
    operator: z.enum(["all", "any", "none"]).default("all"),
  }),
  prepare(p) {
    return ({ metadata }) => {
      const present = p.metadataKeys.filter((k) => metadata[k] !== undefined);
      const n = present.length;
      const verdict = p.operator === "all" ? n === p.metadataKeys.length : p.operator === "any" ? n > 0 : n === 0;
      const missing = p.metadataKeys.filter((k) => metadata[k] === undefined);
      return {
        verdict,
        data: { presentKeys: present, missingKeys: missing, operator: p.operator },
        explanation: `${n} of ${p.metadataKeys.length} metadata keys present (operator ${p.operator})`,
      };
    };
  },
};

type Obj = Record<string, unknown>;

const addPrefix: CheckDefinition<{
  prefix: string;
  applyToRole: string;
  addToExisting: boolean;
  onlyIfEmpty: boolean;
}> = {
  id: "default.addPrefix",
  stages: ["before"],
  transforms: true,
  params: z.looseObject({
    prefix: z.string().min(1),
    applyToRole: z.enum(["user", "system", "assistant"]).default("user"),
    addToExisting: z.boolean().default(true),
    onlyIfEmpty: z.boolean().default(false),
  }),
  prepare(p) {
    return ({ requestJson }) => {
      const body = requestJson as Obj;
      if (typeof body.prompt === "string") {
        return { verdict: true, requestJson: { ...body, prompt: p.prefix + body.prompt }, explanation: "prefix added" };
      }
      // /v1/messages carries the client's request under `native` (system outside the messages).
      const native = body.native as Obj | undefined;
      const target = native ?? body;
      const messages = Array.isArray(target.messages) ? (target.messages as Obj[]) : null;
      if (messages === null) return { verdict: true, explanation: "no messages to prefix" };
      const index = messages.findLastIndex((m) => m.role === p.applyToRole);
      const existing = index >= 0 ? messages[index] : undefined;
      if (p.onlyIfEmpty && existing !== undefined)
        return { verdict: true, explanation: "the role already has a message" };
      let next: Obj[];
      if (existing !== undefined && p.addToExisting) {
        next = [...messages];
        next[index] = { ...existing, content: prefixed(existing.content, p.prefix) };
      } else {
        const message = { role: p.applyToRole, content: p.prefix };
        next = p.applyToRole === "system" ? [message, ...messages] : [...messages, message];
      }
      const rewritten = native
        ? { ...body, native: { ...native, messages: next }, chat: prefixChat(body.chat, p) }
        : { ...body, messages: next };
      return { verdict: true, requestJson: rewritten, explanation: "prefix added" };
    };
  },
};

function prefixed(content: unknown, prefix: string): unknown {
  if (typeof content === "string") return prefix + content;
  if (Array.isArray(content)) {
    const i = content.findIndex((part) => (part as Obj)?.type === "text");
    if (i >= 0) {
      const copy = [...content];
      copy[i] = { ...(content[i] as Obj), text: prefix + String((content[i] as Obj).text ?? "") };
      return copy;
    }
    return [{ type: "text", text: prefix }, ...content];
  }
  return prefix;
}

/** The converted chat request of a /v1/messages body gets the same prefix (when it exists). */
function prefixChat(chat: unknown, p: { prefix: string; applyToRole: string }): unknown {
  const c = chat as Obj | undefined;
  if (!c || !Array.isArray(c.messages)) return chat;
  const messages = [...(c.messages as Obj[])];
  const index = messages.findLastIndex((m) => m.role === p.applyToRole);
  if (index < 0) return chat;
  messages[index] = { ...(messages[index] as Obj), content: prefixed((messages[index] as Obj).content, p.prefix) };
  return { ...c, messages };
}

export const REQUEST_CHECKS = [
  modelWhitelist,
  modelRules,
  allowedRequestTypes,
  requiredMetadataKeys,
  addPrefix,
] as unknown as readonly CheckDefinition<never>[];
