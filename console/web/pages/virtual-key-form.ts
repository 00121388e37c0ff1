import { h, mount } from "../dom.ts";
import { gatewayCall } from "../gateway.ts";
import type { ManageContext } from "./manage-frame.ts";
import { otherFieldsProblem, PROVIDERS, SECRET_NAMES, type SecretName, secretsOf } from "./virtual-key-secrets.ts";

export const virtualKeysPath = (tenant: string, rest = "") =>
  `/v1/admin/tenants/${encodeURIComponent(tenant)}/virtual-keys${rest}`;

/** A masked input for one secret: never filled from anything, so nothing typed is ever shown back. */
const secretInput = (id: string, required = false) =>
  h("input", { id, type: "password", autocomplete: "off", spellcheck: false, size: 22, required });

/** The input ids: the API key keeps `vk-secret` (the first field, and what most providers take). */
const secretId = (name: SecretName) => (name === "api_key" ? "vk-secret" : `vk-secret-${name}`);

/**
 * Creates a virtual key: provider, then each of that provider's secrets in its own password field
 * (Bedrock's AWS keys and session token, Azure's AD token and Entra client secret, Vertex's service
 * account — shown as the provider is typed), sent once and never shown again: the list shows only
 * the API's masked hints. Settings that are not secret go in "Other fields" as JSON, which refuses
 * a secret's name, so no secret sits in plain sight there. The gateway's refusals are shown as they come.
 */
export function virtualKeyCreateForm({ tenant, act, say }: ManageContext): HTMLElement {
  const field = (id: string, label: string, input: HTMLElement) =>
    h("span", { class: "field" }, h("label", { for: id }, label), input);
  const id = h("input", { id: "vk-id", placeholder: "optional", size: 16 });
  const name = h("input", { id: "vk-name", placeholder: "optional", size: 18 });
  const provider = h("input", { id: "vk-provider", list: "vk-providers", required: true, size: 14 });
  // One input per secret, kept while the provider changes (a value typed stays for the fields still shown).
  const inputs = new Map<SecretName, HTMLInputElement>();
  const inputOf = (n: SecretName) => inputs.get(n) ?? inputs.set(n, secretInput(secretId(n))).get(n)!;
  const secrets = h("div", { class: "row", role: "group", "aria-label": "Provider secrets" });
  const drawSecrets = () =>
    mount(
      secrets,
      secretsOf(provider.value).map((n) => field(secretId(n), SECRET_NAMES[n], inputOf(n))),
    );
  provider.addEventListener("input", drawSecrets);
  drawSecrets();
  const extra = h("textarea", {
    id: "vk-fields",
    rows: 2,
    cols: 50,
    spellcheck: false,
    placeholder: '{"aws_region": "us-east-1"}',
  });
  // Said as soon as the JSON names a secret, before the form is sent (the value itself is never repeated).
  extra.addEventListener("input", () => {
    try {
      const problem = otherFieldsProblem(JSON.parse(extra.value));
      if (problem?.includes("not secret")) say(problem);
    } catch {
      // not JSON yet: said on submit
    }
  });
  const submit = (event: Event) => {
    event.preventDefault();
    let fields: Record<string, unknown> = {};
    if (extra.value.trim() !== "") {
      try {
        fields = JSON.parse(extra.value) as Record<string, unknown>;
      } catch (error) {
        say(`Other fields are not JSON: ${(error as Error).message}`);
        return;
      }
      const problem = otherFieldsProblem(fields);
      if (problem !== null) {
        say(problem);
        return;
      }
    }
    const typed = secretsOf(provider.value)
      .map((n) => [n, inputOf(n).value] as const)
      .filter(([, v]) => v !== "");
    const body = {
      ...fields,
      provider: provider.value.trim(),
      ...(id.value.trim() ? { id: id.value.trim() } : {}),
      ...(name.value.trim() ? { name: name.value.trim() } : {}),
      ...Object.fromEntries(typed),
    };
    void act(
      (created: { id: string }) => `Virtual key ${created.id} created.`,
      async () => (await gatewayCall<{ id: string }>("POST", virtualKeysPath(tenant), { as: "manage", body })).body,
    );
  };
  return h(
    "form",
    { class: "create-form", "aria-label": "New virtual key", onsubmit: submit },
    h("h2", null, "New virtual key"),
    h(
      "div",
      { class: "row" },
      field("vk-provider", "Provider", provider),
      h(
        "datalist",
        { id: "vk-providers" },
        PROVIDERS.map((p) => h("option", { value: p })),
      ),
      field("vk-id", "Id", id),
      field("vk-name", "Name", name),
    ),
    secrets,
    h(
      "div",
      { class: "field" },
      h(
        "label",
        { for: "vk-fields" },
        "Other fields, not secret (JSON, e.g. Azure's resource_name and deployment_id, Bedrock's aws_region)",
      ),
      extra,
    ),
    h("div", { class: "row" }, h("button", { type: "submit" }, "Create virtual key")),
  );
}

/**
 * Rotate: a new value for each of the key's provider's secrets, each masked (one field, "New secret
 * for <id>", for a provider with only an API key); the ones left empty stay as they are.
 */
export function virtualKeyRotateForm(
  { act, say }: ManageContext,
  key: { id: string; provider: string },
  rotatePath: string,
): HTMLElement {
  const names = secretsOf(key.provider);
  const inputs = names.map((n) => {
    const id = `rotate-${key.id}${n === "api_key" ? "" : `-${n}`}`;
    const label = names.length === 1 ? `New secret for ${key.id}` : `New ${SECRET_NAMES[n]} for ${key.id}`;
    return { n, id, label, input: secretInput(id, names.length === 1) };
  });
  const submit = (event: Event) => {
    event.preventDefault();
    const body = Object.fromEntries(inputs.filter((i) => i.input.value !== "").map((i) => [i.n, i.input.value]));
    if (Object.keys(body).length === 0) {
      say(`Type at least one new secret for ${key.id}.`);
      return;
    }
    void act(`Virtual key ${key.id}: secret rotated.`, () => gatewayCall("POST", rotatePath, { as: "manage", body }));
  };
  const form = h(
    "form",
    { class: "inline-form", onsubmit: submit },
    inputs.map((i) => [h("label", { for: i.id }, i.label), i.input]),
    h("button", { type: "submit" }, "Rotate"),
  );
  // Several secrets (Bedrock, Azure, Vertex): folded, so the row stays readable until asked for.
  return names.length === 1 ? form : h("details", null, h("summary", null, `Rotate secrets of ${key.id}`), form);
}
