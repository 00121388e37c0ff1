import type { ControlPlaneView } from "@switchyard/platform";

/** What the request path reads from the control plane: plain map lookups, no I/O. */
export type ControlLookup = Pick<
  ControlPlaneView,
  "tenant" | "virtualKey" | "savedConfig" | "savedGuardrail" | "promptState" | "promptVersion"
>;
