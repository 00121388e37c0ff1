// docker-compose.yml is the production deployment. No Docker engine runs here, so the file is
// checked by parsing it: services, images, ports, env wiring between peers, healthchecks behind
// depends_on, mounted paths, no literal secrets. (`docker compose config -q` is worth running by
// hand where the compose plugin exists; a test that only sometimes runs would be a skipped test.)
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const compose = parse(readFileSync(join(ROOT, "docker-compose.yml"), "utf8"), { merge: true }) as Compose;
const services = compose.services;

interface Service {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  command?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  ports?: (string | number | { target: number; published?: string | number })[];
  volumes?: (string | { type?: string; source?: string; target: string })[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: string | string[]; disable?: boolean };
}
interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

function service(name: string): Service {
  const s = services[name];
  if (!s) throw new Error(`docker-compose.yml has no service "${name}"`);
  return s;
}

function env(name: string): Record<string, string> {
  const raw = service(name).environment ?? {};
  if (Array.isArray(raw)) {
    return Object.fromEntries(
      raw.map((entry) => {
        const i = entry.indexOf("=");
        return i < 0 ? [entry, ""] : [entry.slice(0, i), entry.slice(i + 1)];
      }),
    );
  }
  return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, v === null ? "" : String(v)]));
}

/** container port → published host port, from short ("[ip:]host:container") or long syntax. */
function publishedPorts(name: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const p of service(name).ports ?? []) {
    if (typeof p === "object") {
      out.set(Number(p.target), Number(p.published ?? p.target));
      continue;
    }
    const parts = String(p).split("/")[0]!.split(":");
    const container = Number(parts.at(-1));
    out.set(container, parts.length >= 2 ? Number(parts.at(-2)) : container);
  }
  return out;
}

function dependsOn(name: string): Record<string, string> {
  const deps = service(name).depends_on ?? {};
  if (Array.isArray(deps)) return Object.fromEntries(deps.map((d) => [d, "service_started"]));
  return Object.fromEntries(Object.entries(deps).map(([d, v]) => [d, v.condition ?? "service_started"]));
}

function command(name: string): string[] {
  const c = service(name).command;
  if (c === undefined) return [];
  return Array.isArray(c) ? c : c.split(/\s+/);
}

/** Bind mounts (host path starting with . or /) as { source (repo-relative), target }. */
function bindMounts(name: string): { source: string; target: string }[] {
  const out: { source: string; target: string }[] = [];
  for (const v of service(name).volumes ?? []) {
    if (typeof v === "object") {
      if (v.type === "bind" && v.source) out.push({ source: v.source, target: v.target });
      continue;
    }
    const [source, target] = v.split(":");
    if (source && target && (source.startsWith(".") || source.startsWith("/"))) out.push({ source, target });
  }
  return out;
}

function namedVolumes(name: string): string[] {
  const out: string[] = [];
  for (const v of service(name).volumes ?? []) {
    const source = typeof v === "object" ? (v.type === "volume" ? v.source : undefined) : v.split(":")[0];
    if (source && !source.startsWith(".") && !source.startsWith("/") && (typeof v === "object" || v.includes(":"))) {
      out.push(source);
    }
  }
  return out;
}

const APP_SERVICES = ["gateway", "ingest", "analytics-api"] as const;
const INFRA_IMAGES: Record<string, RegExp> = {
  kafka: /^apache\/kafka:3\.9\.1$/,
  clickhouse: /^clickhouse\/clickhouse-server(:[\w.-]+)?$/,
  redis: /^redis:7([\w.-]*)$/,
  grafana: /^grafana\/grafana(:[\w.-]+)?$/,
  jaeger: /^jaegertracing\/all-in-one(:[\w.-]+)?$/,
};

describe("docker-compose.yml", () => {
  it("declares the infrastructure with the agreed images", () => {
    for (const [name, image] of Object.entries(INFRA_IMAGES)) {
      expect(service(name).image, name).toMatch(image);
    }
  });

  it("builds the three services from the one Dockerfile and starts each by its command", () => {
    const expected: Record<string, string> = {
      gateway: "gateway/src/main.ts",
      ingest: "ingest/src/main.ts",
      "analytics-api": "analytics-api/src/main.ts",
    };
    for (const name of APP_SERVICES) {
      const build = service(name).build;
      const context = typeof build === "string" ? build : build?.context;
      const dockerfile = (typeof build === "object" && build.dockerfile) || "Dockerfile";
      expect(context, `${name} build context`).toBe(".");
      expect(dockerfile).toBe("Dockerfile");
      expect(command(name)).toEqual(["node", expected[name]]);
      expect(existsSync(join(ROOT, expected[name]!)), `${name} entry point ${expected[name]}`).toBe(true);
    }
    expect(new Set(APP_SERVICES.map((n) => service(n).image)).size, "one image for all three").toBe(1);
  });

  it("publishes the gateway, analytics API, Grafana and Jaeger ports", () => {
    expect(publishedPorts("gateway").get(8787)).toBe(8787);
    expect(publishedPorts("analytics-api").get(8788)).toBe(8788);
    expect(publishedPorts("grafana").get(3000)).toBe(3000);
    expect(publishedPorts("jaeger").get(16686)).toBe(16686);
    expect(publishedPorts("jaeger").get(4318)).toBe(4318);
    expect(env("gateway").GATEWAY_PORT).toBe("8787");
    expect(env("analytics-api").ANALYTICS_PORT).toBe("8788");
    // Both default to 127.0.0.1, which a published container port cannot reach.
    expect(env("gateway").GATEWAY_HOST).toBe("0.0.0.0");
    expect(env("analytics-api").ANALYTICS_HOST).toBe("0.0.0.0");
  });

  it("runs Kafka as a single KRaft node whose in-network listener is what the services dial", () => {
    const k = env("kafka");
    expect(k.KAFKA_PROCESS_ROLES?.split(",").sort()).toEqual(["broker", "controller"]);
    expect(k.KAFKA_CONTROLLER_QUORUM_VOTERS).toMatch(new RegExp(`^${k.KAFKA_NODE_ID}@kafka:\\d+$`));
    expect(k.CLUSTER_ID, "KRaft needs a cluster id").toBeTruthy();
    for (const key of [
      "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR",
      "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
      "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR",
    ]) {
      expect(k[key], key).toBe("1");
    }
    const advertised = (k.KAFKA_ADVERTISED_LISTENERS ?? "").split(",").map((l) => l.replace(/^\w+:\/\//, ""));
    // analytics-api reads only the control topic (API keys created through the admin API).
    for (const name of ["gateway", "ingest", "analytics-api"]) {
      const brokers = env(name).KAFKA_BROKERS?.split(",") ?? [];
      expect(brokers.length, `${name} KAFKA_BROKERS`).toBeGreaterThan(0);
      for (const b of brokers) expect(advertised, `${name} dials ${b}`).toContain(b);
      expect(brokers.every((b) => b.startsWith("kafka:"))).toBe(true);
    }
  });

  it("points every service at the right peer", () => {
    const url = (name: string, key: string) => new URL(env(name)[key] ?? "");
    const redis = url("gateway", "REDIS_URL");
    expect([redis.protocol, redis.hostname, redis.port || "6379"]).toEqual(["redis:", "redis", "6379"]);
    for (const name of ["ingest", "analytics-api"]) {
      const ch = url(name, "CLICKHOUSE_URL");
      expect([ch.protocol, ch.hostname, ch.port], `${name} CLICKHOUSE_URL`).toEqual(["http:", "clickhouse", "8123"]);
      // Same credentials as the server was created with.
      expect(env(name).CLICKHOUSE_USER).toBe(env("clickhouse").CLICKHOUSE_USER);
      expect(env(name).CLICKHOUSE_PASSWORD).toBe(env("clickhouse").CLICKHOUSE_PASSWORD);
      expect(env(name).CLICKHOUSE_DATABASE ?? "switchyard").toBe(env("clickhouse").CLICKHOUSE_DB);
    }
    for (const name of APP_SERVICES) {
      const otlp = url(name, "OTEL_EXPORTER_OTLP_ENDPOINT");
      expect([otlp.hostname, otlp.port], `${name} OTLP endpoint`).toEqual(["jaeger", "4318"]);
      expect(env(name).DATA_DIR === undefined || env(name).DATA_DIR!.startsWith("/")).toBe(true);
    }
    expect(env("jaeger").COLLECTOR_OTLP_ENABLED).toBe("true");
    expect(env("gateway").CLICKHOUSE_URL, "the gateway never talks to ClickHouse").toBeUndefined();

    const analytics = url("grafana", "SWITCHYARD_ANALYTICS_URL");
    expect([analytics.hostname, analytics.port]).toEqual(["analytics-api", env("analytics-api").ANALYTICS_PORT]);
  });

  it("has every peer a service dials in its depends_on, and every depends_on target exists", () => {
    const peerHosts: Record<string, string[]> = {
      gateway: ["kafka", "redis", "jaeger"],
      ingest: ["kafka", "clickhouse", "jaeger"],
      "analytics-api": ["clickhouse", "jaeger"],
      grafana: ["analytics-api"],
    };
    for (const [name, peers] of Object.entries(peerHosts)) {
      expect(Object.keys(dependsOn(name)), name).toEqual(expect.arrayContaining(peers));
    }
    for (const name of Object.keys(services)) {
      for (const [target, condition] of Object.entries(dependsOn(name))) {
        expect(services[target], `${name} depends on missing service ${target}`).toBeDefined();
        expect(["service_started", "service_healthy", "service_completed_successfully"]).toContain(condition);
        if (condition === "service_healthy") {
          const hc = services[target]!.healthcheck;
          expect(hc?.test && !hc.disable, `${name} waits for ${target} to be healthy but it has no healthcheck`).toBe(
            true,
          );
        }
      }
    }
    // The stateful engines gate their consumers on a real readiness check.
    expect(dependsOn("ingest")).toMatchObject({ kafka: "service_healthy", clickhouse: "service_healthy" });
    expect(dependsOn("gateway")).toMatchObject({ kafka: "service_healthy", redis: "service_healthy" });
    expect(dependsOn("analytics-api")).toMatchObject({ clickhouse: "service_healthy" });
  });

  it("keeps secrets out of the file: credentials are env placeholders", () => {
    for (const name of Object.keys(services)) {
      for (const [key, value] of Object.entries(env(name))) {
        if (!/PASSWORD|SECRET|TOKEN|API_KEY|_KEY$/.test(key)) continue;
        expect(value, `${name}.${key}`).toMatch(/^\$\{[A-Z0-9_]+(:?-[^}]*)?\}$/);
      }
    }
    const healthcheck = JSON.stringify(service("clickhouse").healthcheck?.test ?? "");
    expect(healthcheck, "the healthcheck reads the password from the container env").toContain("$$CLICKHOUSE_PASSWORD");
  });

  it("persists state in declared named volumes", () => {
    const declared = Object.keys(compose.volumes ?? {});
    for (const name of ["kafka", "clickhouse", "redis", "grafana", "gateway", "ingest"]) {
      const vols = namedVolumes(name);
      expect(vols.length, `${name} has a data volume`).toBeGreaterThan(0);
      for (const v of vols) expect(declared, `${name} uses undeclared volume ${v}`).toContain(v);
    }
  });

  it("mounts Grafana provisioning and every dashboard from paths that exist in the repo", () => {
    const grafanaEnv = env("grafana");
    expect(grafanaEnv.GF_INSTALL_PLUGINS?.split(",")).toContain("yesoreyeram-infinity-datasource");
    const mounts = bindMounts("grafana");
    for (const m of mounts) {
      expect(existsSync(join(ROOT, m.source)), `grafana mounts missing ${m.source}`).toBe(true);
    }
    for (const name of Object.keys(services)) {
      for (const m of bindMounts(name)) expect(existsSync(join(ROOT, m.source)), `${name}: ${m.source}`).toBe(true);
    }
    const byTarget = new Map(mounts.map((m) => [m.target, m.source.replace(/^\.\//, "").replace(/\/$/, "")]));
    expect(byTarget.get("/etc/grafana/provisioning/datasources")).toBe("dashboards/provisioning/datasources");
    expect(byTarget.get("/etc/grafana/provisioning/dashboards")).toBe("dashboards/provisioning/dashboards");

    // The file provider reads the folder the dashboard JSON files are mounted into.
    const provider = parse(readFileSync(join(ROOT, "dashboards/provisioning/dashboards/switchyard.yaml"), "utf8")) as {
      providers: { type: string; options: { path: string } }[];
    };
    const folder = provider.providers[0]!.options.path.replace(/\/$/, "");
    expect(provider.providers[0]!.type).toBe("file");
    const dashboards = readdirJson(join(ROOT, "dashboards"));
    expect(dashboards.length).toBeGreaterThan(0);
    for (const file of dashboards) {
      expect(byTarget.get(`${folder}/${file}`), `dashboards/${file} mounted into ${folder}`).toBe(`dashboards/${file}`);
    }

    // Every ${VAR} the datasource provisioning expands is set in Grafana's environment.
    const datasources = parse(readFileSync(join(ROOT, "dashboards/provisioning/datasources/infinity.yaml"), "utf8"));
    const needed = [...JSON.stringify(datasources).matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]!);
    expect(needed).toEqual(expect.arrayContaining(["SWITCHYARD_ANALYTICS_URL", "SWITCHYARD_ANALYTICS_KEY"]));
    for (const v of needed) expect(grafanaEnv[v], `grafana env ${v}`).toBeDefined();
  });

  it("has a Dockerfile that installs production deps of every workspace on node:24-slim", () => {
    const dockerfile = readFileSync(join(ROOT, "Dockerfile"), "utf8");
    const from = [...dockerfile.matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1]);
    expect(from, "a single stage").toEqual(["node:24-slim"]);
    const npmCi = dockerfile.search(/^RUN npm ci --omit=dev/m);
    expect(npmCi).toBeGreaterThan(0);
    // npm ci checks the lockfile against every workspace manifest, so each must be in place first.
    const root = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { workspaces: string[] };
    for (const ws of ["package.json", "package-lock.json", ...root.workspaces.map((w) => `${w}/package.json`)]) {
      const copy = new RegExp(`^COPY\\s+.*\\b${ws.replace(/[.]/g, "\\.")}\\b`, "m");
      const at = dockerfile.search(copy);
      expect(at, `Dockerfile copies ${ws} before npm ci`).toBeGreaterThanOrEqual(0);
      expect(at).toBeLessThan(npmCi);
    }
    const ignore = readFileSync(join(ROOT, ".dockerignore"), "utf8").split("\n");
    expect(ignore).toEqual(expect.arrayContaining(["**/node_modules", ".git", "data"]));
  });
});

function readdirJson(dir: string): string[] {
  return readdirSyncSafe(dir).filter((f) => f.endsWith(".json") && f !== "package.json");
}

function readdirSyncSafe(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}
