import { ApiProblem, apiGet } from "../api.ts";
import { formatInt, formatUsd, h, mount } from "../dom.ts";
import { endpoints } from "../endpoints.ts";
import { gatewayCall } from "../gateway.ts";
import { updateParams } from "../state.ts";
import type { TraceAnswer } from "../types.ts";
import { loadInto, problemView } from "../ui.ts";

interface PromptHead {
  id: string;
  name: string;
  latest_version: number;
  default_version: number;
}
interface PromptVersion {
  prompt_version: number;
  string: string;
  model: string | null;
  labels: string[];
  is_default: boolean;
}
interface ChatAnswer {
  choices?: { message?: { content?: unknown } }[];
  usage?: { prompt_tokens?: number; completion_tokens?: number };
}

const promptPath = (id: string, rest = "") => `/v1/prompts/${encodeURIComponent(id)}${rest}`;

/** `{{ name }}` (and `{{#name}}` sections) in a template, each name once, in order of appearance. */
export function variablesOf(template: string): string[] {
  const names = [...template.matchAll(/\{\{\s*[#^/]?\s*([A-Za-z_][\w.-]{0,127})\s*\}\}/g)].map((m) => m[1]!);
  return [...new Set(names)];
}

/** The request's cost once ingest has recorded it (its trace id), or null after a few seconds. */
async function costOf(traceId: string): Promise<number | null> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    try {
      const trace = await apiGet<TraceAnswer>(endpoints.trace(traceId));
      if (trace.requests.length > 0) return trace.requests.reduce((n, r) => n + r.cost_nano_usd, 0) / 1e9;
    } catch (error) {
      if (!(error instanceof ApiProblem) || error.kind !== "not_found") return null;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return null;
}

/**
 * The prompt playground: pick a prompt and version, edit its template, fill its variables, run it
 * against a model (POST /v1/prompts/{id}@{version}/completions on the gateway, recorded like any
 * request), see the answer, latency and cost; save the edit as a new version; point a label at a version.
 */
export function playgroundPage({ params }: { params: URLSearchParams }): HTMLElement {
  const section = h("section", { class: "panel", "aria-label": "Prompt playground" });
  void loadInto(
    section,
    async () => {
      const { body: list } = await gatewayCall<{ data: PromptHead[] }>("GET", "/v1/prompts?page_size=100", {
        as: "key",
      });
      if (list.data.length === 0) {
        return h(
          "div",
          { class: "empty" },
          h("p", null, "No prompt yet. Create one with POST /v1/prompts on the gateway."),
        );
      }
      const chosen = list.data.find((p) => p.id === params.get("prompt")) ?? list.data[0]!;
      const { body: versions } = await gatewayCall<{ data: PromptVersion[] }>(
        "GET",
        promptPath(chosen.id, "/versions"),
        {
          as: "key",
        },
      );
      const asked = Number(params.get("version"));
      const version =
        versions.data.find((v) => v.prompt_version === asked) ??
        versions.data.find((v) => v.prompt_version === chosen.latest_version) ??
        versions.data[versions.data.length - 1]!;
      return editor(chosen, versions.data, version, list.data);
    },
    "gateway",
  );
  // What the last action did (it re-renders the page through the URL).
  const saved = params.get("saved");
  const moved = params.get("moved");
  const notice =
    saved !== null
      ? `Saved as version ${saved}.`
      : moved !== null
        ? `Label ${moved} now points at v${params.get("version")}.`
        : null;
  return h("div", null, notice ? h("p", { class: "action-status", role: "status" }, notice) : null, section);
}

function editor(prompt: PromptHead, versions: PromptVersion[], version: PromptVersion, all: PromptHead[]): HTMLElement {
  const promptSelect = h(
    "select",
    {
      id: "pg-prompt",
      onchange: (e: Event) => updateParams({ prompt: (e.target as HTMLSelectElement).value, version: undefined }),
    },
    all.map((p) => h("option", { value: p.id, selected: p.id === prompt.id }, `${p.name} (${p.id})`)),
  );
  const versionSelect = h(
    "select",
    {
      id: "pg-version",
      onchange: (e: Event) =>
        updateParams({ version: (e.target as HTMLSelectElement).value, saved: undefined, moved: undefined }),
    },
    versions.map((v) =>
      h(
        "option",
        { value: String(v.prompt_version), selected: v.prompt_version === version.prompt_version },
        `v${v.prompt_version}${v.labels.length ? ` (${v.labels.join(", ")})` : ""}${v.is_default ? " default" : ""}`,
      ),
    ),
  );
  const template = h("textarea", { id: "pg-template", rows: 6, cols: 70, spellcheck: false });
  template.value = version.string;
  const model = h("input", { id: "pg-model", value: version.model ?? "", placeholder: "the version's model" });
  const provider = h("input", { id: "pg-provider", placeholder: "from the prompt's virtual key", size: 14 });
  const variables = h("fieldset", { class: "variables" });
  const values = new Map<string, string>();
  const drawVariables = () => {
    const names = variablesOf(template.value);
    mount(
      variables,
      h("legend", null, names.length ? "Variables" : "Variables (the template has none)"),
      names.map((name) => {
        const input = h("input", { id: `pg-var-${name}`, value: values.get(name) ?? "" });
        input.addEventListener("input", () => values.set(name, input.value));
        return h("span", { class: "field" }, h("label", { for: `pg-var-${name}` }, name), input);
      }),
    );
  };
  template.addEventListener("input", drawVariables);
  drawVariables();

  const result = h("div", { class: "pg-result", "aria-live": "polite" });
  const run = async () => {
    const edited = template.value !== version.string;
    mount(result, h("p", { class: "loading", role: "status" }, "Running…"));
    try {
      const vars = Object.fromEntries(variablesOf(template.value).map((n) => [n, values.get(n) ?? ""]));
      const answer = await gatewayCall<ChatAnswer>(
        "POST",
        promptPath(`${prompt.id}@${version.prompt_version}`, "/completions"),
        {
          as: "key",
          body: { variables: vars, ...(model.value.trim() ? { model: model.value.trim() } : {}) },
          headers: provider.value.trim() ? { "x-portkey-provider": provider.value.trim() } : {},
        },
      );
      const content = answer.body.choices?.[0]?.message?.content;
      const cost = h("dd", { id: "pg-cost" }, "…");
      mount(
        result,
        edited
          ? h(
              "p",
              { class: "note" },
              `This ran v${version.prompt_version} as saved; save your edit as a new version to run it.`,
            )
          : null,
        h("h2", null, "Answer"),
        h("pre", { class: "code", id: "pg-answer" }, typeof content === "string" ? content : JSON.stringify(content)),
        h(
          "dl",
          { class: "facts" },
          h("dt", null, "Latency"),
          h("dd", { id: "pg-latency" }, `${formatInt(Math.round(answer.ms))} ms`),
          h("dt", null, "Tokens in / out"),
          h("dd", null, `${answer.body.usage?.prompt_tokens ?? "–"} / ${answer.body.usage?.completion_tokens ?? "–"}`),
          h("dt", null, "Cost"),
          cost,
        ),
      );
      const traceId = answer.headers.get("x-portkey-trace-id");
      const usd = traceId ? await costOf(traceId) : null;
      cost.textContent = usd === null ? "not recorded yet (see the request log)" : formatUsd(usd);
    } catch (error) {
      mount(result, problemView(error, "gateway"));
    }
  };

  const status = h("p", { class: "action-status", role: "status" });
  const save = async () => {
    try {
      const saved = await gatewayCall<{ version_id: string }>("PUT", promptPath(prompt.id), {
        as: "key",
        body: { string: template.value, ...(model.value.trim() ? { model: model.value.trim() } : {}) },
      });
      const number = saved.body.version_id.slice(saved.body.version_id.lastIndexOf("@") + 1);
      updateParams({ prompt: prompt.id, version: number, saved: number, moved: undefined });
    } catch (error) {
      mount(status, problemView(error, "gateway"));
    }
  };
  const label = h("input", { id: "pg-label", placeholder: "production", size: 12, required: true });
  const moveLabel = async (event: Event) => {
    event.preventDefault();
    try {
      await gatewayCall("PUT", promptPath(prompt.id, `/versions/${version.prompt_version}`), {
        as: "key",
        body: { label_id: label.value.trim() },
      });
      updateParams({
        prompt: prompt.id,
        version: String(version.prompt_version),
        moved: label.value.trim(),
        saved: undefined,
      });
    } catch (error) {
      mount(status, problemView(error, "gateway"));
    }
  };

  return h(
    "div",
    { class: "playground" },
    h(
      "div",
      { class: "row" },
      h("span", { class: "field" }, h("label", { for: "pg-prompt" }, "Prompt"), promptSelect),
      h("span", { class: "field" }, h("label", { for: "pg-version" }, "Version"), versionSelect),
    ),
    h("div", { class: "field" }, h("label", { for: "pg-template" }, "Template"), template),
    variables,
    h(
      "div",
      { class: "row" },
      h("span", { class: "field" }, h("label", { for: "pg-model" }, "Model"), model),
      h("span", { class: "field" }, h("label", { for: "pg-provider" }, "Provider"), provider),
      h("button", { type: "button", onclick: () => void run() }, "Run"),
      h("button", { type: "button", onclick: () => void save() }, "Save as new version"),
    ),
    h(
      "form",
      { class: "row", onsubmit: (e: Event) => void moveLabel(e) },
      h("label", { for: "pg-label" }, `Label to point at v${version.prompt_version}`),
      label,
      h("button", { type: "submit" }, "Move label"),
    ),
    status,
    result,
  );
}
