import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseEnv, TelemetryEnv, telemetrySettingsFrom } from "@switchyard/platform";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { REPO_ROOT } from "../e2e/support.ts";

interface Service {
  environment?: Record<string, string | number>;
  ports?: string[];
  depends_on?: Record<string, unknown>;
}
const compose = parse(readFileSync(join(REPO_ROOT, "docker-compose.yml"), "utf8")) as {
  services: Record<string, Service>;
};
const env = (name: string) =>
  Object.fromEntries(Object.entries(compose.services[name]?.environment ?? {}).map(([k, v]) => [k, String(v)]));

describe("docker-compose.yml OpenTelemetry wiring", () => {
  it("sends every service's spans to Jaeger over OTLP/HTTP protobuf under its own service name", () => {
    const names = new Set<string>();
    for (const name of ["gateway", "ingest", "analytics-api"]) {
      // Exactly what the service's main() makes of its environment.
      const settings = telemetrySettingsFrom(parseEnv(TelemetryEnv, env(name)), "unset");
      expect(settings.traces, name).toMatchObject({ url: "http://jaeger:4318/v1/traces", protocol: "http/protobuf" });
      expect(settings.serviceName).toMatch(/^switchyard-/);
      names.add(settings.serviceName);
      // Jaeger takes no OTLP metrics: they are scraped from /metrics instead.
      expect(settings.metricsOtlp, name).toBeNull();
      expect(settings.prometheus, name).toBe(true);
      expect(Object.keys(compose.services[name]?.depends_on ?? {})).toContain("jaeger");
    }
    expect(names.size).toBe(3);
    expect(compose.services.jaeger?.ports).toEqual(expect.arrayContaining(["4318:4318", "16686:16686"]));
  });

  it("publishes ingest's /metrics port on every interface of its container", () => {
    expect(env("ingest")).toMatchObject({ INGEST_METRICS_PORT: "8789", INGEST_METRICS_HOST: "0.0.0.0" });
    expect(compose.services.ingest?.ports).toContain("8789:8789");
  });
});
