import { z } from "zod";
import { EndUser, findTooDeep, LIMITS, ModelName } from "../schemas/limits.ts";

/**
 * `override_params` of a config target: request-body fields the gateway merges over the
 * client's body before the upstream call. They end up in the upstream request and in the
 * request event exactly like body fields, so they are held to what providers accept: a config
 * with `override_params.model: 123` is a 400 naming `targets[0].override_params.model`, never a
 * served request whose event the event schema then refuses.
 *
 * The parameters providers share are typed; any other key (a provider's own parameter) passes
 * through, bounded in key count, key length and nesting depth (LIMITS in schemas/limits.ts).
 */

const finite = z.number().refine(Number.isFinite, "must be a finite number");
const count = z.number().int().positive();
const StopSequences = z.union([z.string().max(256), z.array(z.string().max(256)).max(16)]);

export const OverrideParams = z
  .looseObject({
    model: ModelName.optional(),
    stream: z.boolean().optional(),
    temperature: finite.min(0).max(2).optional(),
    top_p: finite.min(0).max(1).optional(),
    top_k: z.number().int().nonnegative().optional(),
    max_tokens: count.optional(),
    max_completion_tokens: count.optional(),
    n: count.max(128).optional(),
    presence_penalty: finite.min(-2).max(2).optional(),
    frequency_penalty: finite.min(-2).max(2).optional(),
    seed: z.number().int().optional(),
    stop: StopSequences.nullable().optional(),
    logprobs: z.boolean().optional(),
    top_logprobs: z.number().int().min(0).max(20).optional(),
    logit_bias: z.record(z.string(), finite).optional(),
    user: EndUser.optional(),
    response_format: z.looseObject({ type: z.string() }).optional(),
    tools: z.array(z.looseObject({ type: z.string() })).optional(),
    tool_choice: z.union([z.string(), z.looseObject({ type: z.string() })]).optional(),
    parallel_tool_calls: z.boolean().optional(),
    stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullable().optional(),
    reasoning_effort: z.string().max(32).optional(),
    // Embeddings.
    dimensions: count.optional(),
    encoding_format: z.enum(["float", "base64"]).optional(),
  })
  .superRefine((params, ctx) => {
    const keys = Object.keys(params);
    if (keys.length > LIMITS.overrideKeys) {
      ctx.addIssue({ code: "custom", path: [], message: `at most ${LIMITS.overrideKeys} keys` });
      return;
    }
    for (const key of keys) {
      if (key.length > LIMITS.overrideKeyLength) {
        ctx.addIssue({
          code: "custom",
          path: [key.slice(0, 32)],
          message: `keys are at most ${LIMITS.overrideKeyLength} characters`,
        });
        continue;
      }
      const tooDeep = findTooDeep(params[key], LIMITS.overrideValueDepth);
      if (tooDeep) ctx.addIssue({ code: "custom", path: [key, ...tooDeep.path], message: tooDeep.message });
    }
  });
export type OverrideParams = z.infer<typeof OverrideParams>;
