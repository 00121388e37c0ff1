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
    default:
      return event.version;
  }
}

export const tenantRecordKey = (id: string) => `tenant:${id}`;
export const apiKeyRecordKey = (id: string) => `api_key:${id}`;
export const virtualKeyRecordKey = (tenantId: string, id: string) => `virtual_key:${tenantId}:${id}`;
export const savedConfigRecordKey = (tenantId: string, id: string) => `saved_config:${tenantId}:${id}`;

/** Validates before encoding, so no replica ever receives an event it cannot fold. */
export function encodeControlEvent(event: ControlEvent): Buffer {
  return encodeEvent(ControlEvent, event);
}

export function decodeControlEvent(bytes: Uint8Array | null): DecodeResult<ControlEvent> {
  return decodeEvent(ControlEvent, bytes);
}
