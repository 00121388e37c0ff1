import type { Dialect, DialectResponse, RouteMatch } from "../provider-fake.ts";
import { anthropicDialect } from "./anthropic.ts";
import { googleDialect } from "./google.ts";

/**
 * Google Vertex AI: `/v1/projects/{project}/locations/{region}/publishers/{google|anthropic}/models/
 * {model}:{generateContent|streamGenerateContent|rawPredict|streamRawPredict}`, a Google OAuth
 * access token as Bearer. Gemini models speak Gemini's format; Claude models Anthropic's Messages
 * format with `anthropic_version: vertex-2023-10-16` and no `model` in the body (it is in the URL).
 */
export const VERTEX_PROJECT = "test-project";
const PATH = /\/projects\/([^/]+)\/locations\/([^/]+)\/publishers\/(google|anthropic)\/models\/([^/:]+):(\w+)$/;

export function vertexDialect(validToken: (token: string) => boolean): Dialect {
  const gemini = googleDialect();
  const claude = anthropicDialect();
  const isClaude = (match: RouteMatch) => match.model.startsWith("claude");
  const of = (match: RouteMatch) => (isClaude(match) ? claude : gemini);
  // The Anthropic dialect reads the model from the body; on Vertex it is in the URL.
  const withModel = (body: Record<string, unknown>, match: RouteMatch) =>
    isClaude(match) ? { ...body, model: match.model } : body;
  const error = (status: number, message: string): DialectResponse => gemini.error(status, message);
  return {
    streamContentType: "text/event-stream",
    match(method, url) {
      const m = PATH.exec(url.pathname);
      if (method !== "POST" || !m) return null;
      const verb = m[5]!;
      const publisher = m[3]!;
      const google = verb === "generateContent" || verb === "streamGenerateContent";
      if (google !== (publisher === "google")) return null;
      return { model: decodeURIComponent(m[4]!), stream: verb.startsWith("stream"), kind: "chat" };
    },
    check(req, url, body, raw, match) {
      const bearer = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ""))?.[1];
      if (!bearer || !validToken(bearer)) return error(401, "Request had invalid authentication credentials.");
      const m = PATH.exec(url.pathname)!;
      if (m[1] !== VERTEX_PROJECT) return error(403, `Permission denied on project ${m[1]}`);
      if (isClaude(match)) {
        if ("model" in body) return claude.error(400, "model: Extra inputs are not permitted");
        if (body.anthropic_version !== "vertex-2023-10-16") return claude.error(400, "anthropic_version: invalid");
        return claude.check(
          { ...req, headers: { ...req.headers, "x-api-key": "vertex", "anthropic-version": "v" } } as never,
          url,
          withModel(body, match),
          raw,
          match,
        );
      }
      const google = { ...req, headers: { ...req.headers, "x-goog-api-key": "vertex" } };
      return gemini.check(google as never, url, body, raw, match);
    },
    parse: (body, match) => of(match).parse(withModel(body, match), match),
    json: (plan, match, usage, body) => of(match).json(plan, match, usage, withModel(body, match)),
    events: (plan, match, usage, body) => of(match).events(plan, match, usage, withModel(body, match)),
    error,
  };
}
