import { h, mount } from "../dom.ts";
import { gatewayCall } from "../gateway.ts";
import { updateParams } from "../state.ts";
import { loadInto, problemView } from "../ui.ts";
import { type PromptVersion, runInto, variablesOf } from "./playground-run.ts";
import { suggestions } from "./playground-suggest.ts";

interface PromptHead {
  id: string;
  name: string;
  latest_version: number;
  default_version: number;
}

/** The prompt select's value for "write a new prompt". */
const NEW = "new";
const promptPath = (id: string, rest = "") => `/v1/prompts/${encodeURIComponent(id)}${rest}`;

/**
 * The prompt playground: pick a prompt and version (or start a new prompt), edit the template, fill
 * its variables, run it against a model — the saved version as is, or the edit unsaved
 * (POST /v1/prompts/completions) — and see the answer, latency and cost; save the edit as a new
 * version (or the new prompt); point a label at a version.
 */
export function playgroundPage({ params }: { params: URLSearchParams }): HTMLElement {
  const section = h("section", { class: "panel", "aria-label": "Prompt playground" });
  void loadInto(
    section,
    async () => {
      const { body: list } = await gatewayCall<{ data: PromptHead[] }>("GET", "/v1/prompts?page_size=100", {
        as: "key",
      });
      const chosen =
        params.get("prompt") === NEW
          ? undefined
          : (list.data.find((p) => p.id === params.get("prompt")) ?? list.data[0]);
      if (chosen === undefined) return editor(null, [], null, list.data);
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

function editor(
  prompt: PromptHead | null,
  versions: PromptVersion[],
  version: PromptVersion | null,
  all: PromptHead[],
): HTMLElement {
  const promptSelect = h(
    "select",
    {
      id: "pg-prompt",
      onchange: (e: Event) => updateParams({ prompt: (e.target as HTMLSelectElement).value, version: undefined }),
    },
    all.map((p) => h("option", { value: p.id, selected: p.id === prompt?.id }, `${p.name} (${p.id})`)),
    h("option", { value: NEW, selected: prompt === null }, "New prompt…"),
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
        { value: String(v.prompt_version), selected: v.prompt_version === version?.prompt_version },
        `v${v.prompt_version}${v.labels.length ? ` (${v.labels.join(", ")})` : ""}${v.is_default ? " default" : ""}`,
      ),
    ),
  );
  const name = prompt === null ? h("input", { id: "pg-name", required: true, size: 24 }) : null;
  const template = h("textarea", { id: "pg-template", rows: 6, cols: 70, spellcheck: false });
  template.value = version?.string ?? "";
  const model = h("input", {
    id: "pg-model",
    value: version?.model ?? "",
    placeholder: "the version's model",
    list: "pg-models",
  });
  const { models, virtualKeys, configs } = suggestions();
  const provider = h("input", { id: "pg-provider", placeholder: "or by the virtual key", size: 14 });
  // What routes a run when no provider is given: the version's virtual key, or another of the
  // tenant's (a saved version then still runs as saved, through that key: x-portkey-virtual-key).
  const virtualKey = h("input", { id: "pg-vk", value: version?.virtual_key ?? "", list: "pg-vks", size: 14 });
  // The version's saved config (pc-…), which routes it instead of a virtual key; part of the version.
  const config = h("input", { id: "pg-config", value: version?.config ?? "", list: "pg-configs", size: 14 });
  // The version's saved model parameters (temperature, max_tokens, tools, …), edited as JSON.
  const savedParams = version?.parameters ?? {};
  const parameters = h("textarea", { id: "pg-params", rows: 2, cols: 70, spellcheck: false });
  parameters.value = JSON.stringify(savedParams);
  /** The parameters as typed, or null (said in the status line) when they are not a JSON object. */
  const parsedParams = (): Record<string, unknown> | null => {
    try {
      const value: unknown = JSON.parse(parameters.value.trim() || "{}");
      if (value !== null && typeof value === "object" && !Array.isArray(value)) {
        mount(status); // a new action: the last one's message no longer applies
        return value as Record<string, unknown>;
      }
    } catch {
      // said below
    }
    mount(status, h("p", { class: "invalid" }, 'Parameters must be a JSON object, e.g. {"temperature": 0.2}.'));
    return null;
  };
  const variables = h("fieldset", { class: "variables" });
  const values = new Map<string, string>();
  const drawVariables = () => {
    const names = variablesOf(template.value);
    mount(
      variables,
      h("legend", null, names.length ? "Variables" : "Variables (the template has none)"),
      names.map((n) => {
        const input = h("input", { id: `pg-var-${n}`, value: values.get(n) ?? "" });
        input.addEventListener("input", () => values.set(n, input.value));
        return h("span", { class: "field" }, h("label", { for: `pg-var-${n}` }, n), input);
      }),
    );
  };
  template.addEventListener("input", drawVariables);
  drawVariables();

  const result = h("div", { class: "pg-result", "aria-live": "polite" });
  const status = h("div", { class: "action-status", role: "status" });
  const run = () => {
    const params = parsedParams();
    if (params === null) return;
    const vk = virtualKey.value.trim();
    const cfg = config.value.trim();
    // Only the version's content makes a draft: another virtual key runs the saved version through it.
    const edited =
      version === null ||
      template.value !== version.string ||
      JSON.stringify(params) !== JSON.stringify(savedParams) ||
      cfg !== (version.config ?? "");
    const target =
      edited || prompt === null
        ? {
            kind: "draft" as const,
            base: version,
            template: template.value,
            parameters: params,
            virtualKey: vk,
            config: cfg,
          }
        : {
            kind: "saved" as const,
            promptId: prompt.id,
            version: version.prompt_version,
            virtualKey: vk !== "" && vk !== (version.virtual_key ?? "") ? vk : null,
          };
    const vars = Object.fromEntries(variablesOf(template.value).map((n) => [n, values.get(n) ?? ""]));
    return runInto(result, target, { variables: vars, model: model.value.trim(), provider: provider.value.trim() });
  };

  const modelField = () => (model.value.trim() ? { model: model.value.trim() } : {});
  const save = async () => {
    const params = parsedParams();
    if (params === null) return;
    // An emptied config cannot be saved: PUT takes an omitted field from the latest version.
    if (config.value.trim() === "" && version?.config) {
      const why = `A new version keeps the saved config (${version.config}) unless another is given; the prompt API cannot remove it. Name a config, or write a new prompt routed by a virtual key.`;
      mount(status, h("p", { class: "invalid" }, why));
      return;
    }
    // Always sent: omitted, a new version would take the latest version's, not the one edited here.
    const paramsField = {
      parameters: params,
      ...(virtualKey.value.trim() ? { virtual_key: virtualKey.value.trim() } : {}),
      ...(config.value.trim() ? { config: config.value.trim() } : {}),
    };
    try {
      if (prompt === null) {
        const created = await gatewayCall<{ id: string }>("POST", "/v1/prompts", {
          as: "key",
          body: { name: name?.value.trim() ?? "", string: template.value, ...modelField(), ...paramsField },
        });
        updateParams({ prompt: created.body.id, version: "1", saved: "1", moved: undefined });
        return;
      }
      const saved = await gatewayCall<{ version_id: string }>("PUT", promptPath(prompt.id), {
        as: "key",
        body: { string: template.value, ...modelField(), ...paramsField },
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
    if (prompt === null || version === null) return;
    try {
      await gatewayCall("PUT", promptPath(prompt.id, `/versions/${version.prompt_version}`), {
        as: "key",
        body: { label_id: label.value.trim() },
      });
      const moved = label.value.trim();
      updateParams({ prompt: prompt.id, version: String(version.prompt_version), moved, saved: undefined });
    } catch (error) {
      mount(status, problemView(error, "gateway"));
    }
  };
  const field = (id: string, text: string, control: HTMLElement) =>
    h("span", { class: "field" }, h("label", { for: id }, text), control);

  return h(
    "div",
    { class: "playground" },
    h(
      "div",
      { class: "row" },
      field("pg-prompt", "Prompt", promptSelect),
      version ? field("pg-version", "Version", versionSelect) : null,
      name ? field("pg-name", "Name of the new prompt", name) : null,
    ),
    h("div", { class: "field" }, h("label", { for: "pg-template" }, "Template"), template),
    variables,
    h("div", { class: "field" }, h("label", { for: "pg-params" }, "Parameters (JSON)"), parameters),
    h(
      "div",
      { class: "row" },
      field("pg-model", "Model", model),
      models,
      field("pg-vk", "Virtual key", virtualKey),
      virtualKeys,
      field("pg-config", "Config", config),
      configs,
      field("pg-provider", "Provider", provider),
      h("button", { type: "button", onclick: () => void run() }, "Run"),
      h(
        "button",
        { type: "button", onclick: () => void save() },
        prompt ? "Save as new version" : "Save as a new prompt",
      ),
    ),
    version && prompt
      ? h(
          "form",
          { class: "row", onsubmit: (e: Event) => void moveLabel(e) },
          h("label", { for: "pg-label" }, `Label to point at v${version.prompt_version}`),
          label,
          h("button", { type: "submit" }, "Move label"),
        )
      : null,
    status,
    result,
  );
}
