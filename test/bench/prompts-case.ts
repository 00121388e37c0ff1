import { fileURLToPath } from "node:url";
import { ADMIN_TOKEN, AdminTestHarness } from "@switchyard/gateway/testing";
import { cpuMeter } from "./cpu.ts";
import { type LoadResult, runLoad } from "./load.ts";
import { startGateway, startUpstream, stopChild } from "./processes.ts";

/**
 * The prompt registry's cost: `POST /v1/prompts/{id}/completions` (a chat template with two
 * variables and a partial, saved parameters, routed by the version's virtual key) against
 * `POST /v1/chat/completions` with the same rendered body and the same virtual key, through a
 * running gateway at 8 connections in interleaved rounds (order alternated). Reports req/s,
 * latency and the gateway's CPU µs per request (process.cpuUsage-equivalent over the measured
 * window); the added cost is the median of per-round differences. Prints figures; asserts nothing.
 */
interface Measured {
  result: LoadResult;
  gatewayCpuPerRequest: number | null;
}

export interface PromptsCaseResult {
  rounds: Array<{ chat: Measured; prompt: Measured }>;
  inProcess: InProcessResult;
  preflight: { chat: number; prompt: number; promptVersion: string | null };
}

const TOKEN = "bench-prompts-admin-token-0123456789";

interface Target {
  url: string;
  headers: Record<string, string>;
  body: string;
}

export async function measurePrompts(options: {
  root: string;
  upstreamBaseUrl: string;
  durationSec: number;
  warmupSec: number;
  rounds?: number;
}): Promise<PromptsCaseResult> {
  const gateway = await startGateway(options.root, {
    SWITCHYARD_ADMIN_TOKEN: TOKEN,
    SWITCHYARD_MASTER_KEY: Buffer.alloc(32, 7).toString("base64"),
    SWITCHYARD_CUSTOM_HOST_ALLOWLIST: "127.0.0.1",
  });
  try {
    const base = new URL(gateway.url).origin;
    const call = async (method: string, path: string, payload: unknown, admin = false) => {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: { "content-type": "application/json", ...(admin ? { authorization: `Bearer ${TOKEN}` } : {}) },
        body: JSON.stringify(payload),
      });
      if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
      return (await res.json()) as Record<string, unknown>;
    };
    await call("POST", "/v1/admin/tenants", { id: "default" }, true);
    await call(
      "POST",
      "/v1/admin/tenants/default/virtual-keys",
      { id: "vk-bench", provider: "openai", api_key: "sk-bench-prompts", custom_host: options.upstreamBaseUrl },
      true,
    );
    await call("POST", "/v1/prompts/partials", { id: "bench-sig", name: "sig", string: "-- the {{team}} team" });
    const prompt = await call("POST", "/v1/prompts", {
      id: "bench-prompt",
      name: "bench",
      model: "gpt-4o-mini",
      virtual_key: "vk-bench",
      parameters: { temperature: 0.2, max_tokens: 64 },
      string: JSON.stringify([
        { role: "system", content: "You answer for {{company}}. {{>bench-sig}}" },
        { role: "user", content: "{{question}}" },
      ]),
    });
    const variables = { company: "Acme", team: "support", question: "Where is my order 12345?" };
    const rendered = (await call("POST", `/v1/prompts/${String(prompt.id)}/render`, { variables })).data;
    const targets: Record<"chat" | "prompt", Target> = {
      chat: {
        url: gateway.url,
        headers: { "content-type": "application/json", "x-portkey-virtual-key": "vk-bench" },
        body: JSON.stringify(rendered),
      },
      prompt: {
        url: `${base}/v1/prompts/${String(prompt.id)}/completions`,
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ variables }),
      },
    };
    const chatProbe = await fetch(targets.chat.url, { method: "POST", ...targets.chat });
    const promptProbe = await fetch(targets.prompt.url, { method: "POST", ...targets.prompt });
    const preflight = {
      chat: chatProbe.status,
      prompt: promptProbe.status,
      promptVersion: promptProbe.headers.get("x-portkey-prompt-version"),
    };
    const measure = async (t: Target, durationSec: number): Promise<Measured> => {
      const meter = cpuMeter({ gateway: gateway.child.pid });
      const result = await runLoad({ ...t, connections: 8, durationSec });
      const cpu = meter.stop().gateway;
      return { result, gatewayCpuPerRequest: cpu == null || result.requests === 0 ? null : cpu / result.requests };
    };
    await measure(targets.chat, options.warmupSec);
    await measure(targets.prompt, options.warmupSec);
    const rounds: PromptsCaseResult["rounds"] = [];
    const slice = Math.max(2, Math.round(options.durationSec / 2));
    for (let r = 0; r < (options.rounds ?? 3); r++) {
      const chatFirst = r % 2 === 0;
      const a = await measure(chatFirst ? targets.chat : targets.prompt, slice);
      const b = await measure(chatFirst ? targets.prompt : targets.chat, slice);
      rounds.push(chatFirst ? { chat: a, prompt: b } : { chat: b, prompt: a });
    }
    return { rounds, preflight, inProcess: await measureInProcess(Number(process.env.BENCH_ROUNDS ?? 10), 400) };
  } finally {
    await gateway.stop();
  }
}

interface InProcessResult {
  rounds: number;
  perRound: number;
  chat: number[];
  prompt: number[];
}

/**
 * The prompt's share of a request with transport and upstream out of the picture: an in-process
 * gateway over a real control plane (the mock provider behind a virtual key), the chat call and the
 * prompt call alternating in short rounds, this process's CPU per request (process.cpuUsage over each
 * round). Paired rounds see the same machine, so the median difference holds on a busy box.
 */
async function measureInProcess(rounds: number, perRound: number): Promise<InProcessResult> {
  const harness = await AdminTestHarness.open();
  try {
    const gw = await harness.gateway({ token: ADMIN_TOKEN });
    const send = async (method: "POST", url: string, payload: object, headers: Record<string, string> = {}) => {
      const res = await gw.app.inject({
        method,
        url,
        headers: { "content-type": "application/json", ...headers },
        payload,
      });
      if (res.statusCode >= 300) throw new Error(`prompts bench: ${url} answered ${res.statusCode} ${res.body}`);
      return res.json() as Record<string, unknown>;
    };
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
    await send("POST", "/v1/admin/tenants", { id: "default" }, admin);
    await send(
      "POST",
      "/v1/admin/tenants/default/virtual-keys",
      { id: "vk-mock", provider: "mock", api_key: "unused" },
      admin,
    );
    await send("POST", "/v1/prompts/partials", { id: "bench-sig", name: "sig", string: "-- the {{team}} team" });
    await send("POST", "/v1/prompts", {
      id: "bench-prompt",
      name: "bench",
      model: "gpt-4o-mini",
      virtual_key: "vk-mock",
      parameters: { temperature: 0.2, max_tokens: 64 },
      string: JSON.stringify([
        { role: "system", content: "You answer for {{company}}. {{>bench-sig}}" },
        { role: "user", content: "{{question}}" },
      ]),
    });
    const variables = { company: "Acme", team: "support", question: "Where is my order 12345?" };
    const rendered = (await send("POST", "/v1/prompts/bench-prompt/render", { variables })).data as object;
    const chat = () => send("POST", "/v1/chat/completions", rendered, { "x-portkey-virtual-key": "vk-mock" });
    const prompt = () => send("POST", "/v1/prompts/bench-prompt/completions", { variables });
    const round = async (call: () => Promise<unknown>) => {
      const started = process.cpuUsage();
      for (let i = 0; i < perRound; i++) await call();
      const used = process.cpuUsage(started);
      gw.sink.events.length = 0;
      return (used.user + used.system) / perRound;
    };
    const out: InProcessResult = { rounds, perRound, chat: [], prompt: [] };
    await round(chat);
    await round(prompt);
    for (let r = 0; r < rounds; r++) {
      if (r % 2 === 0) {
        out.chat.push(await round(chat));
        out.prompt.push(await round(prompt));
      } else {
        out.prompt.push(await round(prompt));
        out.chat.push(await round(chat));
      }
    }
    return out;
  } finally {
    await harness.close();
  }
}

export function printPrompts(c: PromptsCaseResult): void {
  const fmt = (n: number | null, digits = 1) => (n === null ? "n/a" : n.toFixed(digits));
  console.log(
    `\nprompts (8 connections, ${c.rounds.length} interleaved rounds; preflight chat ${c.preflight.chat}, prompt ${c.preflight.prompt} ${c.preflight.promptVersion})`,
  );
  console.log(
    "round  chat req/s  p50 ms  p99 ms  CPU µs/req   prompt req/s  p50 ms  p99 ms  CPU µs/req   added CPU µs/req",
  );
  const added: number[] = [];
  c.rounds.forEach(({ chat, prompt }, i) => {
    const diff =
      chat.gatewayCpuPerRequest === null || prompt.gatewayCpuPerRequest === null
        ? null
        : prompt.gatewayCpuPerRequest - chat.gatewayCpuPerRequest;
    if (diff !== null) added.push(diff);
    const cols = (m: Measured) =>
      `${fmt(m.result.requestsPerSec, 0).padStart(10)}  ${fmt(m.result.p50Ms, 2).padStart(6)}  ${fmt(m.result.p99Ms, 2).padStart(6)}  ${fmt(m.gatewayCpuPerRequest).padStart(10)}`;
    console.log(`${String(i + 1).padEnd(6)} ${cols(chat)}   ${cols(prompt)}   ${fmt(diff).padStart(16)}`);
  });
  const sorted = [...added].sort((x, y) => x - y);
  const median = sorted.length === 0 ? null : (sorted[Math.floor((sorted.length - 1) / 2)] ?? null);
  console.log(`added CPU per request by resolving and rendering the prompt (median): ${fmt(median)} µs`);
  const p = c.inProcess;
  const mid = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor((xs.length - 1) / 2)] ?? null;
  const diffs = p.chat.map((chat, i) => (p.prompt[i] ?? chat) - chat);
  console.log(
    `in process (mock provider behind a virtual key, ${p.rounds} paired rounds of ${p.perRound}): chat ${fmt(mid(p.chat))} µs/req, ` +
      `prompt ${fmt(mid(p.prompt))} µs/req, added by the prompt (median of paired differences) ${fmt(mid(diffs))} µs`,
  );
  if (c.rounds.some((r) => r.chat.result.non2xx > 0 || r.prompt.result.non2xx > 0)) {
    console.log("WARNING: non-2xx answers in the prompts case: these figures do not measure prompts");
  }
}

// `node test/bench/prompts-case.ts`: only this case, with its own upstream and gateway.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = new URL("../..", import.meta.url).pathname;
  const upstream = await startUpstream(root);
  try {
    printPrompts(
      await measurePrompts({
        root,
        upstreamBaseUrl: upstream.baseUrl,
        durationSec: Number(process.env.BENCH_DURATION_SEC ?? 10),
        warmupSec: Number(process.env.BENCH_WARMUP_SEC ?? 3),
      }),
    );
  } finally {
    await stopChild(upstream.child);
  }
}
