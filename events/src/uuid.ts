import { v7 } from "uuid";

/** Time-ordered UUIDv7: event ids sort by creation time. */
export function newEventId(): string {
  return v7();
}
