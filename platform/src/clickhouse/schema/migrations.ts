import { createRequestsTable } from "./001-requests.ts";
import { createFeedbackTable } from "./002-feedback.ts";
import { addAnalyticsColumnsAndRollups } from "./003-analytics.ts";
import { addFeedbackRevisions } from "./004-feedback-revisions.ts";
import { createLimitAlertsTable } from "./005-limit-alerts.ts";
import { leanRollups } from "./006-lean-rollups.ts";
import { timingPercentiles } from "./007-timing-percentiles.ts";
import { traceProjectionIndex } from "./008-trace-projection-index.ts";
import { compactParts } from "./009-compact-parts.ts";
import { smallCompressBlocks } from "./010-small-compress-blocks.ts";
import { recordJson } from "./011-record-json.ts";
import type { Migration } from "./migration.ts";

/** Every migration, in version order. Append only. */
export const MIGRATIONS: readonly Migration[] = [
  createRequestsTable,
  createFeedbackTable,
  addAnalyticsColumnsAndRollups,
  addFeedbackRevisions,
  createLimitAlertsTable,
  leanRollups,
  timingPercentiles,
  traceProjectionIndex,
  compactParts,
  smallCompressBlocks,
  recordJson,
];
