import type { RateLimitUnit, UsageLimits } from "@switchyard/platform";

/** A counting window: [start, end) in ms since the epoch; end null = never resets. */
export interface Window {
  start: number;
  end: number | null;
}

const DAY = 86_400_000;
export const RATE_UNIT_MS: Record<RateLimitUnit, number> = { rps: 1000, rpm: 60_000, rph: 3_600_000, rpd: DAY };

/** Rate windows are fixed and aligned to the epoch (every minute starts at :00), like OpenAI's resets. */
export function rateWindow(unit: RateLimitUnit, now: number): Window {
  const size = RATE_UNIT_MS[unit];
  const start = Math.floor(now / size) * size;
  return { start, end: start + size };
}

/**
 * A budget's current period, all boundaries at 00:00 UTC: daily; weekly from Monday; monthly from
 * the 1st; `periodic_reset_days` counted from the epoch; neither = one period forever. A usage
 * reset moves the start to the reset instant (spend before it no longer counts in this period).
 */
export function budgetWindow(limits: UsageLimits, now: number, resetAt: number | null): Window {
  const base = periodOf(limits, now);
  if (resetAt !== null && resetAt > base.start && resetAt <= now) return { start: resetAt, end: base.end };
  return base;
}

function periodOf(limits: UsageLimits, now: number): Window {
  if (limits.periodic_reset_days !== undefined) {
    const size = limits.periodic_reset_days * DAY;
    const start = Math.floor(now / size) * size;
    return { start, end: start + size };
  }
  const day = Math.floor(now / DAY) * DAY;
  switch (limits.periodic_reset) {
    case "daily":
      return { start: day, end: day + DAY };
    case "weekly": {
      // 1970-01-01 was a Thursday: (days + 3) % 7 is 0 on Mondays.
      const start = day - ((Math.floor(now / DAY) + 3) % 7) * DAY;
      return { start, end: start + 7 * DAY };
    }
    case "monthly": {
      const d = new Date(now);
      const start = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
      return { start, end: Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) };
    }
    default:
      return { start: 0, end: null };
  }
}
