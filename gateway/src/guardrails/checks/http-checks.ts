import { lookup } from "node:dns/promises";
import { createRemoteJWKSet, customFetch, jwtVerify } from "jose";
import { z } from "zod";
import type { CheckDefinition, CheckInput, CheckServices } from "../types.ts";

/**
 * Checks that call out: webhook, log, validUrls, jwt (its JWKS). Every URL passes the SSRF guard
 * (CheckServices.checkUrl: the custom-host policy) and every call has a timeout and the request's
 * abort signal. A failure to reach the service is an error (the check passes unless failOnError).
 */

const HttpUrl = z.url({ protocol: /^https?$/ });
/** Portkey takes headers as an object, or (log) as a JSON string. */
const Headers = z
  .union([z.record(z.string(), z.string()), z.string()])
  .optional()
  .transform((value, ctx) => {
    if (typeof value !== "string") return value ?? {};
    try {
      return z.record(z.string(), z.string()).parse(JSON.parse(value));
    } catch {
      ctx.addIssue({ code: "custom", message: "headers must be a JSON object of strings" });
      return z.NEVER;
    }
  });
const Timeout = z.number().int().min(1).max(30_000).default(3000);

function timedSignal(input: CheckInput, ms: number): AbortSignal {
  return AbortSignal.any([input.signal, AbortSignal.timeout(ms)]);
}

/** Portkey's webhook payload: the request and answer as JSON and text, never the client's headers. */
function payload(input: CheckInput): Record<string, unknown> {
  return {
    request: {
      json: input.requestJson,
      text: input.stage === "before" ? input.text : "",
      isStreamingRequest: input.isStreaming,
      isTransformed: false,
    },
    response: {
      json: input.responseJson,
      text: input.stage === "after" ? input.text : "",
      statusCode: input.responseStatus,
      isTransformed: false,
    },
    provider: input.provider,
    requestType: input.requestType,
    metadata: input.metadata,
    eventType: input.stage === "before" ? "beforeRequestHook" : "afterRequestHook",
  };
}

async function post(
  services: CheckServices,
  url: string,
  param: string,
  input: CheckInput,
  headers: Record<string, string>,
  timeout: number,
): Promise<Response> {
  await services.checkUrl(url, param);
  return services.fetch(url, {
    method: "POST",
    headers: { ...headers, "content-type": "application/json" },
    body: JSON.stringify(payload(input)),
    signal: timedSignal(input, timeout),
    redirect: "error",
  });
}

const WebhookAnswer = z.looseObject({
  verdict: z.boolean(),
  data: z.unknown().optional(),
  transformedData: z
    .looseObject({
      request: z.looseObject({ json: z.unknown() }).optional(),
      response: z.looseObject({ json: z.unknown() }).optional(),
    })
    .optional(),
});

const webhook: CheckDefinition<{ webhookURL: string; headers: Record<string, string>; timeout: number }> = {
  id: "default.webhook",
  stages: ["before", "after"],
  fixedVerdict: true,
  params: z.looseObject({ webhookURL: HttpUrl, headers: Headers, timeout: Timeout }),
  prepare(p, services) {
    return async (input) => {
      const response = await post(services, p.webhookURL, "webhookURL", input, p.headers, p.timeout);
      if (!response.ok) throw new Error(`the webhook answered HTTP ${response.status}`);
      const answer = WebhookAnswer.parse(await response.json());
      const transformed = answer.transformedData;
      return {
        verdict: answer.verdict,
        data: { webhookStatus: response.status },
        explanation: `the webhook answered verdict ${answer.verdict}`,
        ...(input.stage === "before" && transformed?.request?.json !== undefined
          ? { requestJson: transformed.request.json }
          : {}),
        ...(input.stage === "after" && transformed?.response?.json !== undefined
          ? { responseJson: transformed.response.json }
          : {}),
      };
    };
  },
};

const log: CheckDefinition<{ logURL: string; headers: Record<string, string>; timeout: number }> = {
  id: "default.log",
  stages: ["before", "after"],
  fixedVerdict: true,
  params: z.looseObject({ logURL: HttpUrl, headers: Headers, timeout: Timeout }),
  prepare(p, services) {
    return async (input) => {
      const response = await post(services, p.logURL, "logURL", input, p.headers, p.timeout);
      await response.body?.cancel();
      return { verdict: true, data: { logStatus: response.status }, explanation: `logged (HTTP ${response.status})` };
    };
  },
};

const URL_IN_TEXT = /https?:\/\/[^\s<>"'`)\]]{1,2048}/g;
const MAX_URLS = 10;

const validUrls: CheckDefinition<{ onlyDNS: boolean }> = {
  id: "default.validUrls",
  stages: ["after"],
  params: z.looseObject({ onlyDNS: z.boolean().default(false) }),
  prepare(p, services) {
    return async (input) => {
      const urls = [...new Set(input.text.match(URL_IN_TEXT) ?? [])].slice(0, MAX_URLS);
      if (urls.length === 0) return { verdict: false, data: { urls: 0 }, explanation: "no URL in the text" };
      const valid = await Promise.all(urls.map((url) => reachable(url, p.onlyDNS, services, input)));
      const invalid = valid.filter((ok) => !ok).length;
      return {
        verdict: invalid === 0,
        data: { urls: urls.length, invalid },
        explanation: `${urls.length - invalid} of ${urls.length} URLs valid`,
      };
    };
  },
};

async function reachable(url: string, onlyDns: boolean, services: CheckServices, input: CheckInput): Promise<boolean> {
  try {
    const host = new URL(url).hostname;
    if (onlyDns) return (await lookup(host, { all: true })).length > 0;
    await services.checkUrl(url, "url");
    const response = await services.fetch(url, {
      method: "HEAD",
      signal: timedSignal(input, 3000),
      redirect: "manual",
    });
    await response.body?.cancel();
    return response.status < 400;
  } catch {
    return false;
  }
}

const jwt: CheckDefinition<{
  jwksUri: string;
  headerKey: string;
  cacheMaxAge: number;
  clockTolerance: number;
  maxTokenAge: string | number;
  algorithms?: string[] | undefined;
}> = {
  id: "default.jwt",
  stages: ["before"],
  params: z.looseObject({
    jwksUri: HttpUrl,
    headerKey: z.string().min(1).default("Authorization"),
    cacheMaxAge: z.number().int().min(0).default(86_400),
    clockTolerance: z.number().min(0).default(5),
    maxTokenAge: z.union([z.string().min(1), z.number().positive()]).default("1d"),
    algorithms: z.array(z.string()).optional(),
  }),
  prepare(p, services) {
    // One key set per prepared check (cached with the route plan): keys are fetched once per cacheMaxAge.
    const jwks = createRemoteJWKSet(new URL(p.jwksUri), {
      cacheMaxAge: p.cacheMaxAge * 1000,
      timeoutDuration: 3000,
      [customFetch]: async (url, options) => {
        await services.checkUrl(String(url), "jwksUri");
        return services.fetch(url, options);
      },
    });
    const headerKey = p.headerKey.toLowerCase();
    return async (input) => {
      const raw = input.headers[headerKey];
      const value = Array.isArray(raw) ? raw[0] : raw;
      const token = value?.replace(/^Bearer\s+/i, "");
      if (!token) return { verdict: false, data: { header: p.headerKey }, explanation: `no token in ${p.headerKey}` };
      try {
        await jwtVerify(token, jwks, {
          clockTolerance: p.clockTolerance,
          maxTokenAge: p.maxTokenAge,
          ...(p.algorithms ? { algorithms: p.algorithms } : {}),
        });
        return { verdict: true, explanation: "the token is valid" };
      } catch (error) {
        // jose's codes (ERR_JWT_EXPIRED, ERR_JWS_SIGNATURE_VERIFICATION_FAILED, …) say why without quoting the token.
        const code = (error as { code?: string }).code ?? "ERR_JWT_INVALID";
        if (code === "ERR_JWKS_TIMEOUT" || code === "ERR_JOSE_GENERIC") throw error;
        return { verdict: false, data: { reason: code }, explanation: `the token is not valid (${code})` };
      }
    };
  },
};

export const HTTP_CHECKS = [webhook, log, validUrls, jwt] as unknown as readonly CheckDefinition<never>[];
