import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getJson, pollUntil } from "../e2e/support.ts";
import { FakeOpenAIUpstream } from "../fakes/openai-upstream.ts";
import {
  type CompatStack,
  failureOf,
  inWaves,
  portkeyClient,
  startCompatStack,
  type TracedRequest,
  traceId,
} from "./support.ts";

/**
 * Prompts and feedback with the unmodified portkey-ai SDK against Switchyard (gateway + ingest +
 * analytics), two tenants with their own API keys, prompts routed by virtual keys to fake OpenAI
 * upstreams: create, version, label, publish, render, run (JSON and stream), an A/B split over
 * 1,000 calls, feedback create/update, and tenant isolation of both.
 */
describe("prompts and feedback through the portkey-ai SDK", () => {
  const a = new FakeOpenAIUpstream({ name: "variant-a" });
  const b = new FakeOpenAIUpstream({ name: "variant-b" });
  let sy: CompatStack;
  const acme = `acme-${process.pid}`;
  const globex = `globex-${process.pid}`;
  let acmeKey: string;
  let globexKey: string;
  const client = (apiKey: string, options: Parameters<typeof portkeyClient>[1] = {}) =>
    portkeyClient(sy.gatewayUrl, { apiKey, ...options });
  const chat = (content: string) => JSON.stringify([{ role: "user", content }]);
  /** The recorded requests of a trace, read with acme's key (analytics is tenant-scoped), polled until ingested. */
  const traceOf = (_analyticsUrl: string | null, trace: string) =>
    pollUntil(
      async () => {
        const { status, body } = await getJson<{ requests?: TracedRequest[] }>(
          `${sy.analyticsUrl}/v1/traces/${encodeURIComponent(trace)}`,
          { "x-portkey-api-key": acmeKey },
        );
        return status === 200 && (body.requests?.length ?? 0) > 0 ? body.requests! : undefined;
      },
      `trace ${trace} in analytics`,
      30_000,
    );

  beforeAll(async () => {
    await Promise.all([a.start(), b.start()]);
    sy = await startCompatStack({ events: true, env: { SWITCHYARD_CUSTOM_HOST_ALLOWLIST: "127.0.0.1" } });
    for (const tenant of [acme, globex]) await sy.admin.createTenant(tenant);
    acmeKey = (await sy.admin.createApiKey(acme)).key;
    globexKey = (await sy.admin.createApiKey(globex)).key;
    for (const [name, fake] of [
      ["vk-a", a],
      ["vk-b", b],
    ] as const) {
      await sy.admin.request("POST", `/tenants/${acme}/virtual-keys`, {
        id: name,
        provider: "openai",
        api_key: `sk-${name}-secret`,
        custom_host: fake.baseUrl,
      });
    }
    // Keys fold asynchronously: wait until the new key is accepted.
    await pollUntil(
      () =>
        client(acmeKey)
          .prompts.list()
          .catch(() => undefined),
      "the acme key to work",
      5_000,
    );
  });
  afterAll(async () => {
    await sy?.stop();
    await Promise.all([a.stop(), b.stop()]);
  });

  it("creates a prompt, versions, labels and publishes it; render and run (JSON and stream) use the right version", async () => {
    const portkey = client(acmeKey);
    const created = await portkey.prompts.create({
      name: "support",
      collection_id: "unused",
      string: chat("Answer {{customer}}: {{question}}"),
      parameters: { temperature: 0.1, max_tokens: 64 },
      virtual_key: "vk-a",
      model: "gpt-4o-mini",
    });
    expect(created).toMatchObject({ object: "prompt", version_id: `${created.id}@1` });
    const id = created.id as string;
    await portkey.prompts.update(id, { string: chat("v2 for {{customer}}: {{question}}"), virtual_key: "vk-b" });
    const versions = await portkey.prompts.versions.list(id);
    expect(versions.data.map((v: { prompt_version: number }) => v.prompt_version)).toEqual([1, 2]);
    await portkey.prompts.versions.update(id, `${id}@2`, { label_id: "staging" });

    const rendered = await portkey.prompts.render({ promptID: id, variables: { customer: "Ada", question: "why?" } });
    expect(rendered).toMatchObject({
      success: true,
      data: { model: "gpt-4o-mini", temperature: 0.1, messages: [{ role: "user", content: "Answer Ada: why?" }] },
    });

    const trace = traceId("prompt-run");
    const answer = await client(acmeKey, { traceID: trace }).prompts.completions.create({
      promptID: id,
      variables: { customer: "Ada", question: "why?" },
      temperature: 0.7,
    });
    expect(answer).toMatchObject({ object: "chat.completion", system_fingerprint: "fake:variant-a" });
    // The published version 1 went to its virtual key's upstream, root params over saved ones.
    expect(a.requests.at(-1)?.body).toMatchObject({
      model: "gpt-4o-mini",
      temperature: 0.7,
      max_tokens: 64,
      messages: [{ role: "user", content: "Answer Ada: why?" }],
    });
    const [event] = await traceOf(sy.analyticsUrl, trace);
    expect(event).toMatchObject({ tenant_id: acme, prompt_id: id, prompt_version: 1, virtual_key_id: "vk-a" });

    const streamTrace = traceId("prompt-stream");
    const stream = await client(acmeKey, { traceID: streamTrace }).prompts.completions.create({
      promptID: `${id}@staging`,
      variables: { customer: "Bo", question: "how?" },
      stream: true,
    });
    let text = "";
    for await (const chunk of stream as AsyncIterable<{ choices: { delta?: { content?: string } }[] }>) {
      text += chunk.choices[0]?.delta?.content ?? "";
    }
    expect(text.length).toBeGreaterThan(0);
    expect(b.requests.at(-1)?.body).toMatchObject({ stream: true, messages: [{ content: "v2 for Bo: how?" }] });
    const [streamed] = await traceOf(sy.analyticsUrl, streamTrace);
    expect(streamed).toMatchObject({ prompt_id: id, prompt_version: 2, prompt_label: "staging" });

    await portkey.prompts.publish(id, { version: 2 });
    const published = await portkey.prompts.render({ promptID: id, variables: { customer: "C", question: "q" } });
    expect(published.data.messages?.[0]?.content).toBe("v2 for C: q");

    const missing = await failureOf(portkey.prompts.render({ promptID: id, variables: { customer: "C" } }));
    expect(missing).toMatchObject({ status: 400, error: { code: "missing_variable", param: "variables.question" } });
  });

  it("A/B: a loadbalance config over prompt_id targets splits 1,000 calls within 3 points of 70/30; sticky users stay put", async () => {
    const portkey = client(acmeKey);
    const variantA = await portkey.prompts.create({
      name: "ab-a",
      string: "A: {{q}}",
      model: "m-a",
      virtual_key: "vk-a",
    } as never);
    const variantB = await portkey.prompts.create({
      name: "ab-b",
      string: "B: {{q}}",
      model: "m-b",
      virtual_key: "vk-b",
    } as never);
    const targets = [
      { prompt_id: variantA.id, weight: 0.7 },
      { prompt_id: variantB.id, weight: 0.3 },
    ];
    // 1,000 users, each on the variant the hash of its id picks (the request's `user`, a root param):
    // the split is a property of the ids and the weights, the same on every run (no flaky sampling).
    const config = { strategy: { mode: "loadbalance", sticky_key: "params.user" }, targets };
    a.reset();
    b.reset();
    a.record = false;
    b.record = false;
    const ab = client(acmeKey, { config });
    await inWaves(1_000, 32, (i) =>
      ab.prompts.completions.create({ promptID: variantA.id, variables: { q: "hi" }, user: `user-${i}` }),
    );
    a.record = true;
    b.record = true;
    expect(a.received + b.received).toBe(1_000);
    expect(Math.abs(a.received / 1_000 - 0.7)).toBeLessThanOrEqual(0.03);

    // Each variant sends its own prompt and model; the event records the variant that answered.
    a.reset();
    b.reset();
    const sticky = { targets, strategy: { mode: "loadbalance", sticky_key: "metadata._user" } };
    const served = new Set<string>();
    for (let i = 0; i < 12; i++) {
      const trace = traceId("sticky");
      const res = await client(acmeKey, {
        config: sticky,
        metadata: { _user: "user-42" },
        traceID: trace,
      }).prompts.completions.create({
        promptID: variantA.id,
        variables: { q: `n${i}` },
      });
      served.add(String(res.system_fingerprint));
      if (i === 0) {
        const [event] = await traceOf(sy.analyticsUrl, trace);
        const winner = res.system_fingerprint === "fake:variant-a" ? variantA.id : variantB.id;
        expect(event).toMatchObject({ prompt_id: winner, prompt_version: 1 });
      }
    }
    expect(served.size).toBe(1);
    const sent = [...a.requests, ...b.requests].map((r) => [
      r.body.model,
      (r.body.messages as { content: string }[])[0]?.content,
    ]);
    expect(new Set(sent.map(([model, content]) => `${model} ${String(content).slice(0, 2)}`)).size).toBe(1);
    expect(sent[0]).toEqual(a.requests.length > 0 ? ["m-a", "A: n0"] : ["m-b", "B: n0"]);
  });

  it("feedback: create (single and array) and update; another tenant's trace is a 404; prompts are tenant-private", async () => {
    const trace = traceId("feedback");
    const portkey = client(acmeKey, { traceID: trace });
    const prompt = await portkey.prompts.create({
      name: "fb",
      string: "Rate {{x}}",
      model: "m",
      virtual_key: "vk-a",
    } as never);
    await portkey.prompts.completions.create({ promptID: prompt.id, variables: { x: "me" } });
    await traceOf(sy.analyticsUrl, trace);

    const created = await portkey.feedback.create({ traceID: trace, value: 5, weight: 0.5, metadata: { _user: "u1" } });
    expect(created.status).toBe("success");
    const [feedbackId] = (created as unknown as { feedback_ids: string[] }).feedback_ids;
    const batch = await portkey.feedback.create([
      { traceID: trace, value: 1 },
      { traceID: trace, value: -1 },
    ]);
    expect((batch as unknown as { feedback_ids: string[] }).feedback_ids).toHaveLength(2);
    const updated = await portkey.feedback.update({ feedbackID: feedbackId, value: -7, weight: 1 });
    expect(updated).toMatchObject({ status: "success", feedback_ids: [feedbackId] });
    // Analytics, grouped by prompt: three feedback ids, the updated one counting with its latest value
    // ((-7·1 + 1·1 + -1·1) / 3), not four revisions.
    const byPrompt = await pollUntil(
      async () => {
        const { status, body } = await getJson<{ data?: Array<Record<string, unknown>> }>(
          `${sy.analyticsUrl}/v1/analytics/breakdown?group_by=prompt&metrics=requests,feedback_count,feedback_weighted_avg&limit=100`,
          { "x-portkey-api-key": acmeKey },
        );
        const row = status === 200 ? body.data?.find((r) => r.key === prompt.id) : undefined;
        // Ingest is asynchronous: wait until the update is in (counting every revision would never get here).
        return row && Math.abs((row.feedback_weighted_avg as number) + 7 / 3) < 1e-6 ? row : undefined;
      },
      "feedback per prompt in analytics",
      30_000,
    );
    expect(byPrompt).toMatchObject({ requests: 1, feedback_count: 3 });
    expect(byPrompt.feedback_weighted_avg as number).toBeCloseTo(-7 / 3, 5);
    const outOfRange = await failureOf(portkey.feedback.create({ traceID: trace, value: 11 }));
    expect(outOfRange).toMatchObject({ status: 400, error: { param: "value" } });

    // globex: acme's trace does not exist for it, nor does acme's prompt.
    const other = client(globexKey);
    expect(await failureOf(other.feedback.create({ traceID: trace, value: 3 }))).toMatchObject({
      status: 404,
      error: { code: "feedback_not_found" },
    });
    expect(
      await failureOf(other.prompts.completions.create({ promptID: prompt.id, variables: { x: "y" } })),
    ).toMatchObject({
      status: 404,
      error: { code: "prompt_not_found" },
    });
    expect(await failureOf(other.prompts.retrieve(prompt.id))).toMatchObject({ status: 404 });
    const listed = await other.prompts.list();
    expect((listed as unknown as { data: unknown[] }).data).toEqual([]);
    expect(await failureOf(other.prompts.delete(prompt.id))).toMatchObject({ status: 404 });
    await portkey.prompts.delete(prompt.id);
    expect(await failureOf(portkey.prompts.retrieve(prompt.id))).toMatchObject({ status: 404 });
  });
});
