import { describe, expect, it } from "vitest";
import { buildTestGateway } from "../test-support.ts";

/**
 * writeWhole (pipeline-route.ts) writes a whole JSON answer straight to Node's response, skipping fastify's
 * onSend step: right only while no onSend hook exists. A plugin that adds one (compression, say) must make
 * writeWhole go through reply.send again; this test is where that is noticed.
 */
describe("the gateway app's hooks", () => {
  it("registers no onSend hook of its own on any route, console origin included", async () => {
    for (const options of [{}, { consoleOrigin: "http://console.test" }]) {
      const { app, close } = buildTestGateway(options);
      try {
        await app.ready();
        const routes = app.printRoutes({ includeHooks: true, commonPrefix: false });
        expect(routes).toContain("/v1/chat/completions");
        expect(routes).toMatch(/onRequest|onResponse|preHandler/);
        // fastify's own HEAD handler (drops the body of an automatic HEAD route) is the only one: Node's response
        // drops a HEAD answer's body by itself, so writeWhole's answers to HEAD are the same.
        const onSend = routes.split("\n").filter((line) => line.includes("(onSend)"));
        expect(onSend.length).toBeGreaterThan(0);
        expect(onSend.filter((line) => !line.includes('["headRouteOnSendHandler()"]'))).toEqual([]);
      } finally {
        await close();
      }
    }
  });
});
