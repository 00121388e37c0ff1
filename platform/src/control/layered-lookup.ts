import type { ControlLayer } from "./control-state.ts";

/** Where an entity comes from. Admin API writes only `control_topic` entities. */
export type EntitySource = "control_topic" | "config_file" | "keys_file";

export interface Sourced<T> {
  state: T;
  source: EntitySource;
}

/** The control plane's layers, highest precedence first (file, keys file, topic). */
export type Layers = ReadonlyArray<readonly [ControlLayer, EntitySource]>;

/** The entity under `key` in the highest layer that has it. */
export function findSourced<T>(
  layers: Layers,
  pick: (layer: ControlLayer) => Map<string, T>,
  key: string,
): Sourced<T> | undefined {
  for (const [layer, source] of layers) {
    const state = pick(layer).get(key);
    if (state !== undefined) return { state, source };
  }
  return undefined;
}

/** Every entity of one kind, each from the highest layer that has its key. */
export function mergeSourced<T>(layers: Layers, pick: (layer: ControlLayer) => Map<string, T>): Sourced<T>[] {
  const out = new Map<string, Sourced<T>>();
  for (let i = layers.length - 1; i >= 0; i--) {
    const [layer, source] = layers[i]!;
    for (const [key, state] of pick(layer)) out.set(key, { state, source });
  }
  return [...out.values()];
}

/** mergeSourced, narrowed to one tenant's entities. */
export function tenantSourced<T extends { tenant_id: string }>(
  layers: Layers,
  pick: (layer: ControlLayer) => Map<string, T>,
  tenantId: string,
): Sourced<T>[] {
  return mergeSourced(layers, pick).filter((entity) => entity.state.tenant_id === tenantId);
}
