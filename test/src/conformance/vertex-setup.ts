import { type FakeServiceAccount, makeServiceAccount } from "@switchyard/gateway/testing";
import { VERTEX_PROJECT, vertexDialect } from "../fakes/dialects/vertex.ts";
import { ProviderFake } from "../fakes/provider-fake.ts";

/**
 * The conformance suite's Vertex AI setup: a service account (a fresh RSA key, made once per test
 * file on first use) that the stack's fake token server trusts, and a fake Vertex that accepts only
 * the tokens that server issued.
 */
let vertexAccount: FakeServiceAccount | null = null;
export function vertexServiceAccount(): FakeServiceAccount {
  vertexAccount ??= makeServiceAccount(VERTEX_PROJECT);
  return vertexAccount;
}

const issuedToken = (token: string) => /^ya29\.fake-\d+$/.test(token);

export const VERTEX_SETUP = {
  id: "vertex-ai" as const,
  makeFake: () => new ProviderFake("vertex-ai", vertexDialect(issuedToken), "/v1"),
  model: "gemini-2.0-flash",
  leaf: (baseUrl: string): Record<string, unknown> => ({
    provider: "vertex-ai",
    custom_host: baseUrl,
    vertex_region: "us-central1",
    vertex_service_account_json: vertexServiceAccount().json,
  }),
  priced: true,
  usage: { input_tokens: 42, output_tokens: 17, cache_read_tokens: 10, cache_write_tokens: 0, reasoning_tokens: 3 },
};
