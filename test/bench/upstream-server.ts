import { FakeOpenAIUpstream } from "../src/fakes/openai-upstream.ts";

/** The fake OpenAI upstream in its own process, so the benchmark measures it like a real remote. */
const upstream = new FakeOpenAIUpstream();
upstream.record = false;
await upstream.start();
process.stdout.write(`${JSON.stringify({ baseUrl: upstream.baseUrl })}\n`);
process.once("SIGTERM", () => void upstream.stop().then(() => process.exit(0)));
