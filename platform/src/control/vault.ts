import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { inspect } from "node:util";
import { z } from "zod";

/**
 * The virtual-key vault: AES-256-GCM under a 32-byte master key from SWITCHYARD_MASTER_KEY.
 * Every value gets a fresh random 96-bit IV; the ciphertext names the master key that sealed it
 * (`kid`), so a second key can be added for decryption while values are re-encrypted under a new
 * one (rotation). The caller's `context` is bound as additional authenticated data: a ciphertext
 * copied to another virtual key or another field fails authentication instead of decrypting.
 */
const base64 = z.string().regex(/^[A-Za-z0-9+/]+={0,2}$/, "must be base64");

export const EncryptedSecret = z.object({
  alg: z.literal("A256GCM"),
  /** Which master key sealed this value (a fingerprint, not the key). */
  kid: z.string().min(1).max(64),
  iv: base64,
  ct: base64,
  tag: base64,
});
export type EncryptedSecret = z.infer<typeof EncryptedSecret>;

/** Never carries the secret or the key in its message. */
export class VaultError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "VaultError";
  }
}

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * A master key. The key bytes live in a private field, so logging, JSON-serialising or inspecting
 * a config object that holds one shows only the key id.
 */
export class MasterKey {
  readonly id: string;
  readonly #key: Buffer;

  private constructor(key: Buffer) {
    this.#key = key;
    // A fingerprint: identifies the key in ciphertexts without revealing anything about it.
    this.id = createHash("sha256").update("switchyard-vault-kid\0").update(key).digest("hex").slice(0, 16);
  }

  /** 32 bytes as 64 hex chars, or base64 / base64url. The error never repeats the value. */
  static parse(text: string): MasterKey {
    const trimmed = text.trim();
    // 64 hex chars would also decode as (48 bytes of) base64, so hex is tried first.
    if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return new MasterKey(Buffer.from(trimmed, "hex"));
    if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) {
      throw new Error("master key must be 32 bytes given as 64 hex chars or base64 (e.g. `openssl rand -base64 32`)");
    }
    const bytes = Buffer.from(trimmed, "base64");
    if (bytes.length !== KEY_BYTES) {
      throw new Error(`master key must decode to 32 bytes, got ${bytes.length} (try \`openssl rand -base64 32\`)`);
    }
    return new MasterKey(bytes);
  }

  static generate(): MasterKey {
    return new MasterKey(randomBytes(KEY_BYTES));
  }

  seal(plaintext: string, context: string): EncryptedSecret {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.#key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(context, "utf8"));
    const ct = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
    return {
      alg: "A256GCM",
      kid: this.id,
      iv: iv.toString("base64"),
      ct: ct.toString("base64"),
      tag: cipher.getAuthTag().toString("base64"),
    };
  }

  open(secret: EncryptedSecret, context: string): string {
    const iv = Buffer.from(secret.iv, "base64");
    const tag = Buffer.from(secret.tag, "base64");
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new VaultError("malformed ciphertext (iv or tag)");
    try {
      const decipher = createDecipheriv("aes-256-gcm", this.#key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(context, "utf8"));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(Buffer.from(secret.ct, "base64")), decipher.final()]).toString("utf8");
    } catch {
      throw new VaultError(`secret ${context} failed authentication: tampered with, or sealed for another entity`);
    }
  }

  toJSON(): { id: string } {
    return { id: this.id };
  }

  [inspect.custom](): string {
    return `MasterKey { id: '${this.id}' }`;
  }
}

/** Encrypts under the first key; decrypts with whichever configured key sealed the value. */
export class Vault {
  private readonly current: MasterKey;
  private readonly byId: Map<string, MasterKey>;

  constructor(keys: readonly [MasterKey, ...MasterKey[]]) {
    this.current = keys[0];
    this.byId = new Map(keys.map((k) => [k.id, k]));
  }

  get currentKeyId(): string {
    return this.current.id;
  }

  encrypt(plaintext: string, context: string): EncryptedSecret {
    return this.current.seal(plaintext, context);
  }

  decrypt(secret: EncryptedSecret, context: string): string {
    const key = this.byId.get(secret.kid);
    if (!key) {
      throw new VaultError(
        `secret ${context} was sealed with master key ${secret.kid}, which is not configured (current key: ${this.current.id})`,
      );
    }
    return key.open(secret, context);
  }
}

/**
 * Shows enough of a secret to recognise it and nothing that helps guess it: `sk-…abcd` for long
 * values, a fixed mask for short ones (where 7 revealed chars would be most of the value).
 */
export function maskSecret(value: string): string {
  if (value.length < 16) return "****";
  return `${value.slice(0, 3)}…${value.slice(-4)}`;
}
