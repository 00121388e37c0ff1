import { describe, expect, it } from "vitest";
import { GatewayError } from "../errors.ts";
import { LIMITS } from "../schemas/limits.ts";
import {
  checkPortkeyHeaders,
  metadataFrom,
  PORTKEY_HEADER_DEFAULT_MAX,
  PORTKEY_HEADER_MAX,
  traceIdFrom,
} from "./portkey-headers.ts";

/** Issue 10 §5: every x-portkey-* header a client sends is bounded, each bound a 400 naming it. */

function refusal(run: () => unknown): { status: number; code: string; param: string | null; message: string } {
  try {
    run();
  } catch (error) {
    if (!(error instanceof GatewayError)) throw error;
    return { status: error.status, code: error.code, param: error.param, message: error.message };
  }
  throw new Error("expected a GatewayError");
}

const metadata = (value: unknown) => ({ "x-portkey-metadata": JSON.stringify(value) });

describe("x-portkey-metadata", () => {
  it(`accepts ${LIMITS.metadataKeys} keys of ${LIMITS.metadataKeyLength} characters with ${LIMITS.metadataValueLength}-character values`, () => {
    const value = Object.fromEntries(
      Array.from({ length: LIMITS.metadataKeys }, (_, i) => [
        `${i}`.padStart(LIMITS.metadataKeyLength, "k"),
        "v".repeat(LIMITS.metadataValueLength),
      ]),
    );
    expect(Object.keys(metadataFrom(metadata(value)))).toHaveLength(LIMITS.metadataKeys);
  });

  it("refuses a value longer than Portkey's 128 characters, naming the key", () => {
    const failed = refusal(() => metadataFrom(metadata({ team: "t".repeat(LIMITS.metadataValueLength + 1) })));
    expect(failed).toMatchObject({ status: 400, code: "invalid_header", param: "x-portkey-metadata" });
    expect(failed.message).toBe("x-portkey-metadata.team is 129 characters; at most 128 are allowed");
  });

  it("counts stringified numbers too", () => {
    expect(metadataFrom(metadata({ n: 1e21, ok: true }))).toEqual({ n: "1e+21", ok: "true" });
  });

  it("refuses too many keys and over-long keys", () => {
    const many = Object.fromEntries(Array.from({ length: LIMITS.metadataKeys + 1 }, (_, i) => [`k${i}`, "v"]));
    expect(refusal(() => metadataFrom(metadata(many))).message).toBe(
      `x-portkey-metadata has ${LIMITS.metadataKeys + 1} keys; at most ${LIMITS.metadataKeys} are allowed`,
    );
    const longKey = refusal(() => metadataFrom(metadata({ ["k".repeat(100_000)]: "v" })));
    expect(longKey).toMatchObject({ status: 400, param: "x-portkey-metadata" });
    expect(longKey.message.length).toBeLessThan(200);
  });
});

describe("x-portkey-trace-id", () => {
  it(`is at most ${LIMITS.traceId} characters: a longer one is refused after admission, never by the trace stage`, () => {
    expect(traceIdFrom({ "x-portkey-trace-id": "t".repeat(LIMITS.traceId) })).toHaveLength(LIMITS.traceId);
    const long = { "x-portkey-trace-id": "t".repeat(LIMITS.traceId + 1) };
    expect(traceIdFrom(long)).toBeUndefined(); // the trace stage generates one, and never throws
    expect(refusal(() => checkPortkeyHeaders(long))).toMatchObject({
      status: 400,
      code: "invalid_header",
      param: "x-portkey-trace-id",
    });
  });
});

describe("checkPortkeyHeaders", () => {
  it.each(Object.entries(PORTKEY_HEADER_MAX))("%s: at most %i characters", (name, max) => {
    checkPortkeyHeaders({ [name]: "x".repeat(max) });
    const failed = refusal(() => checkPortkeyHeaders({ [name]: "x".repeat(max + 1) }));
    expect(failed).toMatchObject({ status: 400, code: "invalid_header", param: name });
    expect(failed.message).toBe(`${name} is ${max + 1} characters; at most ${max} are allowed`);
  });

  it("bounds every other x-portkey-* header (repeated ones too), and no other header", () => {
    const long = "x".repeat(PORTKEY_HEADER_DEFAULT_MAX + 1);
    expect(refusal(() => checkPortkeyHeaders({ "x-portkey-runtime": long })).param).toBe("x-portkey-runtime");
    expect(refusal(() => checkPortkeyHeaders({ "x-portkey-runtime": ["node", long] })).param).toBe("x-portkey-runtime");
    checkPortkeyHeaders({ "user-agent": long, "x-portkey-provider": undefined });
  });
});
