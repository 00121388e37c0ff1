import { inspect } from "node:util";
import { SECRET_FIELDS, type SecretField, type VirtualKeyState, virtualKeySecretContext } from "./control-entities.ts";
import { type Vault, VaultError } from "./vault.ts";

export type RevealedSecrets = Partial<Record<SecretField, string>>;

/**
 * A virtual key's secrets, decrypted only when the request path asks for them (and then once per
 * version of the key: a rotation creates a new state object, hence a new instance). Serialising
 * or inspecting it shows which fields exist, never their values; what `reveal` returns is the
 * caller's to keep out of logs, events and spans.
 */
export class VirtualKeyCredentials {
  readonly #state: VirtualKeyState;
  readonly #vault: Vault | null;
  #revealed: RevealedSecrets | null = null;

  constructor(state: VirtualKeyState, vault: Vault | null) {
    this.#state = state;
    this.#vault = vault;
  }

  /** Which secret fields this key has, e.g. ["api_key"]. */
  get fieldNames(): SecretField[] {
    return SECRET_FIELDS.filter((f) => this.#state.secrets[f] !== undefined);
  }

  /** One decrypted field, or undefined when the key has none. Throws VaultError when it cannot decrypt. */
  reveal(field: SecretField): string | undefined {
    return this.revealAll()[field];
  }

  /** Every decrypted field. Throws VaultError without a master key or with the wrong one. */
  revealAll(): Readonly<RevealedSecrets> {
    if (this.#revealed) return this.#revealed;
    const vault = this.#vault;
    if (!vault) {
      throw new VaultError(
        `virtual key ${this.#state.id} cannot be used: no master key configured (set SWITCHYARD_MASTER_KEY)`,
      );
    }
    const revealed: RevealedSecrets = {};
    for (const field of this.fieldNames) {
      const context = virtualKeySecretContext(this.#state.tenant_id, this.#state.id, field);
      revealed[field] = vault.decrypt(this.#state.secrets[field]!, context);
    }
    this.#revealed = Object.freeze(revealed);
    return this.#revealed;
  }

  toJSON(): Record<string, string> {
    return Object.fromEntries(this.fieldNames.map((f) => [f, "[encrypted]"]));
  }

  [inspect.custom](): string {
    return `VirtualKeyCredentials { ${this.fieldNames.map((f) => `${f}: [encrypted]`).join(", ")} }`;
  }
}

/** Encrypts clear secret fields for one virtual key (the only place clear secrets are turned into state). */
export function sealVirtualKeySecrets(
  vault: Vault,
  tenantId: string,
  virtualKeyId: string,
  secrets: Readonly<RevealedSecrets>,
): VirtualKeyState["secrets"] {
  const sealed: VirtualKeyState["secrets"] = {};
  for (const field of SECRET_FIELDS) {
    const value = secrets[field];
    if (value !== undefined)
      sealed[field] = vault.encrypt(value, virtualKeySecretContext(tenantId, virtualKeyId, field));
  }
  return sealed;
}
