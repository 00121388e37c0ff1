import type { ChatCompletionChunk } from "openai/resources/chat/completions";
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import { pollUntil, uniqueId } from "../e2e/support.ts";
import { FakeOpenAIUpstream } from "../fakes/openai-upstream.ts";
import {
  type CompatStack,
  chatParams,
  failureOf,
  fakeTarget,
  HELLO,
  openaiClient,
  portkeyClient,
  postChat,
  startCompatStack,
} from "./support.ts";

/**
 * Guardrails with the unmodified portkey-ai and openai SDKs: a 446 surfaces as an API error with
 * status 446 and the reason in hook_results, a 246 as a success; redaction is what the fake
 * upstream receives; a denied stream; saved guardrails created on one replica and used by id on
 * the other (two gateways on one real Kafka broker, as a deployment runs them).
 */
describe("guardrails through the SDKs, two replicas", () => {
  const upstream = new FakeOpenAIUpstream({ name: "guard" });
  const tenant = uniqueId("tenant-guard");
  const otherTenant = uniqueId("tenant-guard-other");
  let one: CompatStack;
  let two: CompatStack;
  let apiKey = "";

  beforeAll(async () => {
    await upstream.start();
    // A control topic of their own: the API key they create must not reach other suites on the same broker
    // (a gateway with no keys at all serves open local-dev mode; one key anywhere on its topic ends that).
    const env = {
      KAFKA_BROKERS: inject("kafkaBrokers"),
      SWITCHYARD_CUSTOM_HOST_ALLOWLIST: "127.0.0.1",
      SWITCHYARD_CONTROL_TOPIC: uniqueId("control"),
    };
    [one, two] = await Promise.all([startCompatStack({ env }), startCompatStack({ env })]);
    await one.admin.createTenant(tenant);
    await one.admin.createTenant(otherTenant);
    apiKey = (await one.admin.createApiKey(tenant)).key;
    // The key reaches the second replica through the control topic.
    await pollUntil(
      async () =>
        (await postChat(two.gatewayUrl, { authorization: `Bearer ${apiKey}` })).status === 401 ? undefined : true,
      "the API key on replica two",
    );
  });
  afterAll(async () => {
    await Promise.all([one?.stop(), two?.stop()]);
    await upstream.stop();
  });
  beforeEach(() => upstream.reset());

  const portkey = (stack: CompatStack, config: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    portkeyClient(stack.gatewayUrl, { apiKey, config: { ...fakeTarget(upstream), ...config }, ...extra });

  it("portkey-ai: an input deny is an APIError with status 446, the check named; the upstream is never called", async () => {
    const config = { input_guardrails: [{ id: "short-prompts", "default.wordCount": { maxWords: 3 }, deny: true }] };
    const failure = await failureOf(
      portkey(one, config).chat.completions.create(chatParams("one two three four five")),
    );
    expect(failure.status).toBe(446);
    expect(failure.error.type).toBe("hooks_failed");
    expect(upstream.received).toBe(0);
  });

  it("openai SDK: 446 with hook_results saying why; 246 is a success with the normal body", async () => {
    const client = (config: Record<string, unknown>) =>
      openaiClient(one.gatewayUrl, apiKey, {
        "x-portkey-config": JSON.stringify({ ...fakeTarget(upstream), ...config }),
      });
    const denied = await client({
      input_guardrails: [{ "default.contains": { words: ["password"], operator: "none" }, deny: true }],
    })
      .chat.completions.create(chatParams("my password is hunter2"))
      .then(
        () => null,
        (error: { status?: number; error?: unknown }) => error,
      );
    expect(denied?.status).toBe(446);
    const raw = await postChat(
      one.gatewayUrl,
      {
        authorization: `Bearer ${apiKey}`,
        "x-portkey-config": JSON.stringify({
          ...fakeTarget(upstream),
          input_guardrails: [{ "default.contains": { words: ["password"], operator: "none" }, deny: true }],
        }),
      },
      chatParams("my password is hunter2"),
    );
    const hooks = (
      raw.body.hook_results as { before_request_hooks: Array<{ checks: Array<{ id: string; verdict: boolean }> }> }
    ).before_request_hooks;
    expect(hooks[0]?.checks[0]).toMatchObject({ id: "default.contains", verdict: false });

    const warned = await client({ output_guardrails: [{ "default.wordCount": { maxWords: 2 } }] })
      .chat.completions.create(chatParams())
      .withResponse();
    expect(warned.response.status).toBe(246);
    expect(warned.data.choices[0]?.message.content).toBe(HELLO);
    expect(
      (warned.data as unknown as { hook_results: { after_request_hooks: Array<{ verdict: boolean }> } }).hook_results
        .after_request_hooks[0]?.verdict,
    ).toBe(false);
  });

  it("redaction: the upstream receives placeholders, never the e-mail or the card number", async () => {
    const config = { input_guardrails: [{ pii: { redact: true, categories: ["EMAIL_ADDRESS", "CREDIT_CARD"] } }] };
    const completion = await portkey(one, config).chat.completions.create(
      chatParams("bill jane@corp.example, card 4111 1111 1111 1111"),
    );
    expect(completion.choices[0]?.message?.content).toBe(HELLO);
    const sent = upstream.requests[0]?.body.messages as Array<{ content: string }>;
    expect(sent.at(-1)?.content).toBe("bill {{EMAIL_ADDRESS_1}}, card {{CREDIT_CARD_1}}");
  });

  it("a stream whose output a hook denies is held back and answered 446", async () => {
    const config = { output_guardrails: [{ "default.contains": { words: ["Hello"], operator: "none" }, deny: true }] };
    const failure = await failureOf(
      (async () => {
        const stream = await portkey(one, config).chat.completions.create({ ...chatParams(), stream: true });
        for await (const _ of stream as AsyncIterable<ChatCompletionChunk>) {
          // a denied stream never yields a chunk
        }
      })(),
    );
    expect(failure.status).toBe(446);
  });

  it("a saved guardrail created on replica one is used by id on replica two; another tenant's id is a 400", async () => {
    const id = `pg-${uniqueId("pii")}`.slice(0, 60);
    const created = await one.admin.request("POST", `/tenants/${tenant}/guardrails`, {
      id,
      name: "No PII in prompts",
      checks: [{ id: "pii", parameters: { categories: ["SSN"] } }],
      actions: { deny: true, on_fail: { feedback: { value: -5 } } },
    });
    expect(created.status).toBe(201);
    const config = { input_guardrails: [id] };
    const failure = await pollUntil(async () => {
      const f = await failureOf(portkey(two, config).chat.completions.create(chatParams("ssn 123-45-6789")));
      return f.status === 446 ? f : undefined;
    }, "the saved guardrail on replica two");
    expect(failure.error.type).toBe("hooks_failed");
    const ok = await portkey(two, config).chat.completions.create(chatParams("no numbers here"));
    expect(ok.choices[0]?.message?.content).toBe(HELLO);

    const otherKey = (await one.admin.createApiKey(otherTenant)).key;
    const foreign = await pollUntil(async () => {
      const res = await postChat(one.gatewayUrl, {
        authorization: `Bearer ${otherKey}`,
        "x-portkey-config": JSON.stringify({ ...fakeTarget(upstream), input_guardrails: [id] }),
      });
      return res.status === 401 ? undefined : res;
    }, "the other tenant's key");
    expect(foreign.status).toBe(400);
    expect((foreign.body.error as { message: string }).message).toContain(
      `input_guardrails[0]: no saved guardrail ${id}`,
    );
  });

  it("the admin API refuses a saved guardrail whose check cannot run, naming the path", async () => {
    const res = await one.admin.request<{ error: { message: string; param: string } }>(
      "POST",
      `/tenants/${tenant}/guardrails`,
      {
        name: "broken",
        checks: [{ id: "wordCount" }, { id: "regexMatch", parameters: { rule: "(a)\\1" } }],
      },
    );
    expect(res.status).toBe(400);
    expect(res.body.error.param).toBe("checks[1].parameters.rule");
  });
});
