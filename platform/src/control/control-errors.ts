/**
 * Why a control-plane command was refused. Transport-neutral: the gateway's admin routes map
 * each code to an entry of its error catalogue (status + OpenAI error type).
 */
export type ControlPlaneErrorCode =
  | "tenant_not_found"
  | "api_key_not_found"
  | "virtual_key_not_found"
  | "saved_config_not_found"
  | "prompt_not_found"
  | "limit_policy_not_found"
  /** The id is taken. */
  | "conflict"
  /** The entity is declared in the declarative file or the keys file: edit the file instead. */
  | "managed_by_file"
  /** Virtual keys need SWITCHYARD_MASTER_KEY. */
  | "vault_unavailable"
  /** The control topic could not be written, or the write was not folded back in time. */
  | "unavailable"
  | "invalid";

export class ControlPlaneError extends Error {
  readonly code: ControlPlaneErrorCode;
  /** The request field the error is about, when there is one. */
  readonly param: string | null;

  constructor(code: ControlPlaneErrorCode, message: string, param: string | null = null) {
    super(message);
    this.name = "ControlPlaneError";
    this.code = code;
    this.param = param;
  }
}
