import { buildTestGateway } from "@switchyard/gateway/testing";
import { afterAll, beforeAll, beforeEach } from "vitest";
import { FakeOpenAIUpstream } from "../fakes/openai-upstream.ts";

/**
 * A fake OpenAI upstream and an in-process gateway for one test file: the upstream starts before
 * the file's tests, both close after them, and each test starts with no upstream requests and no
 * recorded events. Call at a file's top level (it registers the vitest hooks).
 */
export function upstreamAndGateway(name: string) {
  const upstream = new FakeOpenAIUpstream({ name });
  const gw = buildTestGateway();
  beforeAll(() => upstream.start());
  afterAll(async () => {
    await gw.close();
    await upstream.stop();
  });
  beforeEach(() => {
    upstream.reset();
    gw.sink.events.length = 0;
  });
  return { upstream, gw };
}
