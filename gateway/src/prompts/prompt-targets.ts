import { breakerKeyOf, type ResolvedLeaf, type RouteNode } from "../routing/index.ts";
import type { ChatCompletionRequest } from "../schemas/chat.ts";
import type { ResolvedPrompt } from "./prompt-resolver.ts";

export interface PromptTargets {
  root: RouteNode;
  /** The prompt each rewritten leaf sends and the model it asks for, by leaf path. */
  byPath: Map<string, { resolved: ResolvedPrompt; model: string }>;
}

/**
 * The route tree with every `prompt_id` leaf sending its own prompt: the rendered chat request
 * goes into the leaf's override params (keys only the base request has are cleared, so no saved
 * parameter of the URL's prompt leaks into another prompt's call; the leaf's own override_params
 * still win), and a leaf that names no upstream gets its prompt version's virtual key. The plan
 * is shared and memoised, so this builds new nodes and leaves it untouched.
 */
export function promptTargets(
  root: RouteNode,
  base: ChatCompletionRequest,
  render: (promptId: string) => { resolved: ResolvedPrompt; chat: ChatCompletionRequest },
): PromptTargets {
  const byPath: PromptTargets["byPath"] = new Map();
  const rendered = new Map<string, ReturnType<typeof render>>();
  const visit = (node: RouteNode): RouteNode => {
    if (node.kind === "group") return { ...node, children: node.children.map(visit) };
    const promptId = node.leaf.promptId;
    if (promptId === null) return node;
    let found = rendered.get(promptId);
    if (!found) {
      found = render(promptId);
      rendered.set(promptId, found);
    }
    byPath.set(node.path, { resolved: found.resolved, model: found.chat.model });
    return { ...node, leaf: withPrompt(node.leaf, base, found.resolved, found.chat) };
  };
  const rewritten = visit(root);
  return { root: byPath.size === 0 ? root : rewritten, byPath };
}

function withPrompt(
  leaf: ResolvedLeaf,
  base: ChatCompletionRequest,
  resolved: ResolvedPrompt,
  chat: ChatCompletionRequest,
): ResolvedLeaf {
  const cleared = Object.fromEntries(Object.keys(base).map((key) => [key, undefined]));
  const namesUpstream = leaf.provider !== null || leaf.virtualKey !== null;
  const virtualKey = namesUpstream ? leaf.virtualKey : (resolved.version.virtual_key ?? null);
  const next: Omit<ResolvedLeaf, "breakerKey"> = {
    ...leaf,
    virtualKey,
    apiKey: virtualKey !== null && !namesUpstream ? null : leaf.apiKey,
    overrideParams: { ...cleared, ...chat, ...leaf.overrideParams },
  };
  return { ...next, breakerKey: breakerKeyOf(next) };
}
