import { lookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";
import { LRUCache } from "lru-cache";
import { GatewayError } from "../errors.ts";

/**
 * SSRF guard for caller-chosen upstream hosts (x-portkey-custom-host, config custom_host).
 * A custom host must not reach the gateway's own network: private, loopback, link-local
 * (incl. the cloud metadata address 169.254.169.254), CGNAT, multicast and unspecified
 * addresses are refused unless the host is allow-listed. Loopback is allowed in local-dev mode.
 *
 * Every address a name resolves to is checked. What this cannot stop is a DNS answer that
 * changes between this check and the connection (rebinding); results are cached only briefly.
 */
export interface CustomHostPolicy {
  /** Open local-dev mode: loopback upstreams (a local vLLM/Ollama, test fakes) are fine. */
  allowLoopback: boolean;
  /** Hostnames (exact, or `*.suffix`) and IPs/CIDRs always allowed. */
  allowList: readonly string[];
}

const blocked = new BlockList();
for (const [net, prefix] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const) {
  blocked.addSubnet(net, prefix, "ipv4");
}
for (const [net, prefix] of [
  ["::", 128],
  ["fc00::", 7],
  ["fe80::", 10],
  ["ff00::", 8],
] as const) {
  blocked.addSubnet(net, prefix, "ipv6");
}
const loopback = new BlockList();
loopback.addSubnet("127.0.0.0", 8, "ipv4");
loopback.addAddress("::1", "ipv6");

function family(ip: string): "ipv4" | "ipv6" {
  return isIP(ip) === 6 ? "ipv6" : "ipv4";
}

/** IPv4-mapped IPv6 (::ffff:a.b.c.d) is judged as the IPv4 address it carries. */
function normalise(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  return mapped?.[1] ?? ip;
}

export function isForbiddenAddress(rawIp: string, policy: CustomHostPolicy): boolean {
  const ip = normalise(rawIp);
  const f = family(ip);
  if (loopback.check(ip, f)) return !policy.allowLoopback;
  return blocked.check(ip, f);
}

/** The allow-list compiled once: exact hosts, `*.suffix` patterns and CIDR networks. */
function compileAllowList(entries: readonly string[]): (host: string) => boolean {
  const exact = new Set<string>();
  const suffixes: string[] = [];
  const networks = new BlockList();
  for (const entry of entries) {
    if (entry.startsWith("*.")) suffixes.push(entry.slice(1));
    else if (entry.includes("/")) {
      const [net, bits] = entry.split("/");
      networks.addSubnet(net!, Number(bits), family(net!));
    } else exact.add(entry);
  }
  return (host) => {
    if (exact.has(host) || suffixes.some((suffix) => host.endsWith(suffix))) return true;
    if (isIP(host) === 0) return false;
    const ip = normalise(host);
    return networks.check(ip, family(ip));
  };
}

export type HostResolver = (hostname: string) => Promise<string[]>;

export const dnsResolver: HostResolver = async (hostname) =>
  (await lookup(hostname, { all: true, verbatim: true })).map((a) => a.address);

/**
 * Creates the guard; `check` throws a 400 GatewayError naming the refused host (never the URL's
 * path or query). DNS answers are cached briefly; the policy is applied to them on every check,
 * so a change of mode (local-dev ends when the first key is created) takes effect at once.
 */
export function createCustomHostGuard(policy: CustomHostPolicy, resolve: HostResolver = dnsResolver) {
  const allowListed = compileAllowList(policy.allowList);
  const MAX_ENTRIES = 1000;
  // The same custom host arrives on every request of a client: each raw URL is parsed and judged
  // against the (fixed) allow-list once.
  const hosts = new LRUCache<string, HostEntry>({ max: MAX_ENTRIES });
  // DNS answers expire after 30 s (lru-cache's monotonic clock): a changed record is seen soon.
  const resolved = new LRUCache<string, string[]>({ max: MAX_ENTRIES, ttl: 30_000 });
  // Verdicts for resolved addresses: pure functions of the address and the mode.
  const forbiddenIn = [
    new LRUCache<string, boolean>({ max: MAX_ENTRIES }),
    new LRUCache<string, boolean>({ max: MAX_ENTRIES }),
  ];

  function entryOf(rawUrl: string): HostEntry {
    let entry = hosts.get(rawUrl);
    if (entry === undefined) {
      const host = new URL(rawUrl).hostname.replace(/^\[|\]$/g, "").toLowerCase();
      entry = { host, allowListed: allowListed(host), literal: isIP(host) !== 0 };
      hosts.set(rawUrl, entry);
    }
    return entry;
  }

  function forbidden(ip: string): boolean {
    const verdicts = forbiddenIn[policy.allowLoopback ? 1 : 0]!;
    let verdict = verdicts.get(ip);
    if (verdict === undefined) {
      verdict = isForbiddenAddress(ip, policy);
      verdicts.set(ip, verdict);
    }
    return verdict;
  }

  async function lookUp(host: string, param: string): Promise<string[]> {
    let addresses: string[];
    try {
      addresses = await resolve(host);
    } catch {
      throw new GatewayError("invalid_custom_host", `custom host ${host} does not resolve`, param);
    }
    resolved.set(host, addresses);
    return addresses;
  }

  /**
   * check() for the request path: throws (or rejects) when the host is not allowed; synchronous when
   * its addresses are known (an IP, a cached DNS answer), so a client's custom host costs no promise
   * per request; a DNS lookup returns one. The mode is read on every check (local-dev ends when the
   * first key is created).
   */
  function checkNow(rawUrl: string, param: string): Promise<void> | undefined {
    const entry = entryOf(rawUrl);
    if (entry.allowListed) return undefined;
    if (entry.literal) {
      if (forbidden(entry.host)) throw forbiddenHost(entry.host, param);
      return undefined;
    }
    const addresses = resolved.get(entry.host);
    if (addresses === undefined) return lookUp(entry.host, param).then((found) => verdict(entry.host, found, param));
    verdict(entry.host, addresses, param);
    return undefined;
  }

  function verdict(host: string, addresses: readonly string[], param: string): void {
    if (addresses.length === 0 || addresses.some(forbidden)) throw forbiddenHost(host, param);
  }

  /** Resolves when the host is allowed, rejects with the GatewayError when not. */
  async function check(rawUrl: string, param: string): Promise<void> {
    await checkNow(rawUrl, param);
  }
  return { check, checkNow };
}

/** A raw custom-host URL as judged once: its host and the allow-list's verdict. */
interface HostEntry {
  host: string;
  allowListed: boolean;
  /** The host is an IP address: its only address, no DNS. */
  literal: boolean;
}

function forbiddenHost(host: string, param: string): GatewayError {
  return new GatewayError(
    "forbidden_custom_host",
    `custom host ${host} points at a private, loopback, link-local or metadata address; allow-list it with SWITCHYARD_CUSTOM_HOST_ALLOWLIST if it is yours`,
    param,
  );
}

export type CustomHostGuard = ReturnType<typeof createCustomHostGuard>;
