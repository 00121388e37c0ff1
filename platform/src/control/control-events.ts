import { type DecodeResult, decodeEvent, encodeEvent } from "@switchyard/events";
import { z } from "zod";
import {
  ApiKeyState,
  EntityId,
  SavedConfigId,
  SavedConfigState,
  TenantState,
  VirtualKeyState,
} from "./control-entities.ts";
import { SavedGuardrailId, SavedGuardrailState, savedGuardrailRecordKey } from "./guardrail-entities.ts";
import { LimitPolicyState, limitPolicyRecordKey } from "./limit-policy.ts";
import { PromptId, PromptState, PromptVersionState } from "./prompt-entities.ts";

/**
 * Control events on the compacted topic `switchyard.control.v1`. Each event carries the *full*
 * state of one entity (or its deletion) and that entity's next version, and its record key names
 * the entity, so after Kafka compaction the latest event per key still rebuilds the whole view.
 * Deletions are ordinary events, not tombstones: replicas must see them, and keeping them keeps the
 * entity's version so a re-created entity continues counting.
 */
export const CONTROL_TOPIC = "switchyard.control.v1";

const Envelope = {
  schema_version: z.literal(1),
  /** Lets a writer wait until its own event has been folded (read-your-writes). */
  event_id: z.string().min(1),
  occurred_at: z.iso.datetime({ offset: true }),
};
const Version = z.number().int().positive();

export const ControlEvent = z.discriminatedUnion("type", [
  z.object({ ...Envelope, type: z.literal("tenant.upserted"), tenant: TenantState }),
  z.object({ ...Envelope, type: z.literal("tenant.deleted"), tenant_id: EntityId, version: Version }),
  z.object({ ...Envelope, type: z.literal("api_key.created"), api_key: ApiKeyState }),
  z.object({ ...Envelope, type: z.literal("api_key.revoked"), api_key: ApiKeyState }),
  z.object({ ...Envelope, type: z.literal("virtual_key.upserted"), virtual_key: VirtualKeyState }),
  z.object({ ...Envelope, type: z.literal("virtual_key.disabled"), virtual_key: VirtualKeyState }),
  z.object({
    ...Envelope,
    type: z.literal("virtual_key.deleted"),
    tenant_id: EntityId,
    virtual_key_id: EntityId,
    version: Version,
  }),
  z.object({ ...Envelope, type: z.literal("saved_config.upserted"), saved_config: SavedConfigState }),
  z.object({
    ...Envelope,
    type: z.literal("saved_config.deleted"),
    tenant_id: EntityId,
    saved_config_id: SavedConfigId,
    version: Version,
  }),
  z.object({ ...Envelope, type: z.literal("saved_guardrail.upserted"), saved_guardrail: SavedGuardrailState }),
  z.object({
    ...Envelope,
    type: z.literal("saved_guardrail.deleted"),
    tenant_id: EntityId,
    saved_guardrail_id: SavedGuardrailId,
    version: Version,
  }),
  z.object({ ...Envelope, type: z.literal("prompt.upserted"), prompt: PromptState }),
  z.object({
    ...Envelope,
    type: z.literal("prompt.deleted"),
    tenant_id: EntityId,
    prompt_id: PromptId,
    version: Version,
  }),
  z.object({ ...Envelope, type: z.literal("prompt_version.added"), prompt_version: PromptVersionState }),
  z.object({
    ...Envelope,
    type: z.literal("prompt_version.deleted"),
    tenant_id: EntityId,
    prompt_id: PromptId,
    prompt_version: z.number().int().positive(),
    version: Version,
  }),
  z.object({ ...Envelope, type: z.literal("limit_policy.upserted"), limit_policy: LimitPolicyState }),
  z.object({
    ...Envelope,
    type: z.literal("limit_policy.deleted"),
    tenant_id: EntityId,
    limit_policy_id: EntityId,
    version: Version,
  }),
]);
export type ControlEvent = z.infer<typeof ControlEvent>;
export type ControlEventType = ControlEvent["type"];

/** Compaction key: entity kind + id (tenant-scoped entities include the tenant). */
export function controlRecordKey(event: ControlEvent): string {
  switch (event.type) {
    case "tenant.upserted":
      return tenantRecordKey(event.tenant.id);
    case "tenant.deleted":
      return tenantRecordKey(event.tenant_id);
    case "api_key.created":
    case "api_key.revoked":
      return apiKeyRecordKey(event.api_key.id);
    case "virtual_key.upserted":
    case "virtual_key.disabled":
      return virtualKeyRecordKey(event.virtual_key.tenant_id, event.virtual_key.id);
    case "virtual_key.deleted":
      return virtualKeyRecordKey(event.tenant_id, event.virtual_key_id);
    case "saved_config.upserted":
      return savedConfigRecordKey(event.saved_config.tenant_id, event.saved_config.id);
    case "saved_config.deleted":
      return savedConfigRecordKey(event.tenant_id, event.saved_config_id);
    case "saved_guardrail.upserted":
      return savedGuardrailRecordKey(event.saved_guardrail.tenant_id, event.saved_guardrail.id);
    case "saved_guardrail.deleted":
      return savedGuardrailRecordKey(event.tenant_id, event.saved_guardrail_id);
    case "prompt.upserted":
      return promptRecordKey(event.prompt.tenant_id, event.prompt.id);
    case "prompt.deleted":
      return promptRecordKey(event.tenant_id, event.prompt_id);
    case "prompt_version.added": {
      const v = event.prompt_version;
      return promptVersionRecordKey(v.tenant_id, v.prompt_id, v.version);
    }
    case "prompt_version.deleted":
      return promptVersionRecordKey(event.tenant_id, event.prompt_id, event.prompt_version);
    case "limit_policy.upserted":
      return limitPolicyRecordKey(event.limit_policy.tenant_id, event.limit_policy.id);
    case "limit_policy.deleted":
      return limitPolicyRecordKey(event.tenant_id, event.limit_policy_id);
  }
}

/** The version an event gives its entity. */
export function controlEventVersion(event: ControlEvent): number {
  switch (event.type) {
    case "tenant.upserted":
      return event.tenant.version;
    case "api_key.created":
    case "api_key.revoked":
      return event.api_key.version;
    case "virtual_key.upserted":
    case "virtual_key.disabled":
      return event.virtual_key.version;
    case "saved_config.upserted":
      return event.saved_config.version;
    case "saved_guardrail.upserted":
      return event.saved_guardrail.version;
    case "prompt.upserted":
      return event.prompt.version;
    // A version is written once: the live event of its record is always number 1.
    case "prompt_version.added":
      return 1;
    case "limit_policy.upserted":
      return event.limit_policy.version;
    default:
      return event.version;
  }
}

export const tenantRecordKey = (id: string) => `tenant:${id}`;
export const apiKeyRecordKey = (id: string) => `api_key:${id}`;
export const virtualKeyRecordKey = (tenantId: string, id: string) => `virtual_key:${tenantId}:${id}`;
export const savedConfigRecordKey = (tenantId: string, id: string) => `saved_config:${tenantId}:${id}`;
export const promptRecordKey = (tenantId: string, id: string) => `prompt:${tenantId}:${id}`;
export const promptVersionRecordKey = (tenantId: string, id: string, version: number) =>
  `prompt_version:${tenantId}:${id}:${version}`;

/** Validates before encoding, so no replica ever receives an event it cannot fold. */
export function encodeControlEvent(event: ControlEvent): Buffer {
  return encodeEvent(ControlEvent, event);
}

export function decodeControlEvent(bytes: Uint8Array | null): DecodeResult<ControlEvent> {
  return decodeEvent(ControlEvent, bytes);
}
