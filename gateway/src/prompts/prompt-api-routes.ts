import type {
  ApiKeyScope,
  ControlPlane,
  KeyStore,
  PromptCommands,
  PromptKind,
  PromptState,
} from "@switchyard/platform";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { parseBody, toAdminError } from "../admin/admin-errors.ts";
import { GatewayError } from "../errors.ts";
import { authenticate, requireScope } from "../pipeline/authenticate.ts";
import {
  MakeDefault,
  PartialCreate,
  PartialUpdate,
  PromptCreate,
  PromptListQuery,
  PromptUpdate,
  promptView,
  SetLabel,
  versionInput,
  versionView,
} from "./prompt-api-schemas.ts";
import { templateProblem } from "./prompt-call.ts";

export interface PromptApiDeps {
  keys: KeyStore;
  /** Absent (no control plane) or read-only (a follower): writes answer admin_disabled. */
  control: ControlPlane | undefined;
}

type Params = { id: string; versionId?: string };

/**
 * Portkey's prompt admin API, authorised by the caller's gateway API key (scopes prompts.read /
 * prompts.write) and confined to its tenant: prompts under /v1/prompts, partials under
 * /v1/prompts/partials. Writes are control events, answered once this replica folded them.
 */
export function registerPromptApi(app: FastifyInstance, deps: PromptApiDeps): void {
  app.register(async (api) => {
    api.setErrorHandler((error) => {
      throw toAdminError(error);
    });
    // The portkey-ai SDK sends `content-type: application/json` on every call, bodiless ones (DELETE,
    // an optional body left out) included: with no body to parse, the header is dropped before
    // fastify tries (a missing required field is then named by the route's schema).
    api.addHook("onRequest", async (request) => {
      const length = request.headers["content-length"];
      const bodiless = (length === undefined || length === "0") && request.headers["transfer-encoding"] === undefined;
      if (bodiless) delete request.headers["content-type"];
    });
    for (const kind of ["partial", "prompt"] as const) registerKind(api, deps, kind);
  });
}

function registerKind(app: FastifyInstance, deps: PromptApiDeps, kind: PromptKind): void {
  const base = kind === "partial" ? "/v1/prompts/partials" : "/v1/prompts";
  const caller = (request: FastifyRequest, scope: ApiKeyScope) => {
    const { principal } = authenticate(request.headers, deps.keys);
    requireScope(principal, scope);
    return principal.tenantId;
  };
  const view = () => {
    if (!deps.control) throw new GatewayError("admin_disabled", "prompts need a control plane");
    return deps.control.view;
  };
  const commands = (): PromptCommands => {
    const prompts = deps.control?.commands?.prompts;
    if (!prompts) throw new GatewayError("admin_disabled", "this process only follows the control topic");
    return prompts;
  };
  const head = (tenantId: string, id: string): PromptState => {
    const found = view().promptState(tenantId, id)?.state;
    if (!found || found.kind !== kind) throw new GatewayError("prompt_not_found", `${kind} ${id} does not exist`, "id");
    return found;
  };
  const checkVersion = (tenantId: string, input: ReturnType<typeof versionInput>) => {
    if (input.template !== undefined) {
      const problem = templateProblem(input.format ?? "text", input.template);
      if (problem) throw new GatewayError("invalid_template", problem, "string");
    }
    if (input.virtual_key !== undefined && !view().virtualKeyState(tenantId, input.virtual_key)) {
      throw new GatewayError("unknown_virtual_key", `virtual key ${input.virtual_key} does not exist`, "virtual_key");
    }
    if (input.config_id !== undefined && !view().savedConfigState(tenantId, input.config_id)) {
      throw new GatewayError("unknown_config", `saved config ${input.config_id} does not exist`, "config");
    }
  };
  const created = (state: PromptState, version: number) => ({
    id: state.id,
    slug: state.id,
    version_id: `${state.id}@${version}`,
    object: kind === "partial" ? "prompt_partial" : "prompt",
  });

  app.post(base, async (request) => {
    const tenantId = caller(request, "prompts.write");
    const body = kind === "partial" ? parseBody(PartialCreate, request.body) : parseBody(PromptCreate, request.body);
    const input = kind === "partial" ? { ...versionInput(body), format: "text" as const } : versionInput(body);
    checkVersion(tenantId, input);
    const { prompt } = await commands().create(tenantId, {
      id: body.id,
      kind,
      name: body.name,
      version: { ...input, template: body.string, format: input.format ?? "text" },
    });
    return created(prompt, 1);
  });

  app.get(base, async (request) => {
    const tenantId = caller(request, "prompts.read");
    const query = parseBody(PromptListQuery, request.query);
    const search = query.search?.toLowerCase();
    const matching = view()
      .prompts(tenantId)
      .filter(({ state }) => state.kind === kind)
      .filter(
        ({ state }) => !search || state.id.toLowerCase().includes(search) || state.name.toLowerCase().includes(search),
      )
      .sort((x, y) => (x.state.id < y.state.id ? -1 : 1));
    const start = query.current_page * query.page_size;
    const data = matching
      .slice(start, start + query.page_size)
      .map(({ state }) => promptView(state, view().promptVersion(tenantId, state.id, state.default_version)));
    return { object: "list", total: matching.length, data };
  });

  app.get<{ Params: Params }>(`${base}/:id`, async (request) => {
    const tenantId = caller(request, "prompts.read");
    const found = head(tenantId, request.params.id);
    return promptView(found, view().promptVersion(tenantId, found.id, found.default_version));
  });

  /** A new version (omitted fields are the latest version's); a body with only `name` renames. */
  app.put<{ Params: Params }>(`${base}/:id`, async (request) => {
    const tenantId = caller(request, "prompts.write");
    const found = head(tenantId, request.params.id);
    const input =
      kind === "partial"
        ? (() => {
            const body = parseBody(PartialUpdate, request.body);
            return { name: body.name, template: body.string, description: body.description };
          })()
        : (() => {
            const body = parseBody(PromptUpdate, request.body);
            const fields = versionInput(body);
            const format = fields.format ?? view().promptVersion(tenantId, found.id, found.latest_version)?.format;
            const checked = { ...fields, format };
            checkVersion(tenantId, checked);
            return { name: body.name, ...checked };
          })();
    if (kind === "partial" && input.template !== undefined) {
      const problem = templateProblem("text", input.template);
      if (problem) throw new GatewayError("invalid_template", problem, "string");
    }
    const { prompt, version } = await commands().addVersion(tenantId, found.id, input);
    return created(prompt, version?.version ?? prompt.latest_version);
  });

  app.delete<{ Params: Params }>(`${base}/:id`, async (request) => {
    const tenantId = caller(request, "prompts.write");
    const found = head(tenantId, request.params.id);
    await commands().delete(tenantId, found.id);
    return { object: created(found, 1).object, id: found.id, deleted: true };
  });

  app.get<{ Params: Params }>(`${base}/:id/versions`, async (request) => {
    const tenantId = caller(request, "prompts.read");
    const found = head(tenantId, request.params.id);
    const data = view()
      .promptVersions(tenantId, found.id)
      .map((v) => versionView(found, v));
    return { object: "list", total: data.length, data };
  });

  app.get<{ Params: Params }>(`${base}/:id/versions/:versionId`, async (request) => {
    const tenantId = caller(request, "prompts.read");
    const found = head(tenantId, request.params.id);
    return versionView(found, requireVersion(tenantId, found, request.params.versionId));
  });

  /** `{label_id}`: points the label at this version. */
  app.put<{ Params: Params }>(`${base}/:id/versions/:versionId`, async (request) => {
    const tenantId = caller(request, "prompts.write");
    const found = head(tenantId, request.params.id);
    const version = requireVersion(tenantId, found, request.params.versionId);
    const { label_id } = parseBody(SetLabel, request.body);
    const updated = await commands().setLabel(tenantId, found.id, version.version, label_id);
    return versionView(updated, version);
  });

  app.put<{ Params: Params }>(`${base}/:id/makeDefault`, async (request) => {
    const tenantId = caller(request, "prompts.write");
    const found = head(tenantId, request.params.id);
    const { version } = parseBody(MakeDefault, request.body);
    const updated = await commands().makeDefault(tenantId, found.id, version);
    return promptView(updated, view().promptVersion(tenantId, found.id, version));
  });

  function requireVersion(tenantId: string, found: PromptState, raw: string | undefined) {
    // `3` or `pp-x@3` (the version_id this API returns).
    const text = raw?.startsWith(`${found.id}@`) ? raw.slice(found.id.length + 1) : raw;
    const number = text !== undefined && /^\d{1,6}$/.test(text) ? Number(text) : Number.NaN;
    const version = Number.isNaN(number) ? undefined : view().promptVersion(tenantId, found.id, number);
    if (!version) throw new GatewayError("prompt_not_found", `${kind} ${found.id} has no version ${raw}`, "version_id");
    return version;
  }
}
