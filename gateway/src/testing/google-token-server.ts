import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { jwtVerify } from "jose";

/**
 * A fake of Google's OAuth token endpoint (`POST /token`, the JWT-bearer grant) as Vertex service
 * accounts use it: it verifies the assertion's RS256 signature against the account's public key,
 * its issuer, audience and scope, and answers `{access_token, expires_in, token_type}` — or
 * Google's `{error, error_description}` when told to fail. Also makes a throw-away service account
 * (a fresh RSA key per run: no key material in fixtures).
 */
export interface FakeServiceAccount {
  json: Record<string, string>;
  publicKey: KeyObject;
}

export function makeServiceAccount(projectId = "test-project"): FakeServiceAccount {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return {
    json: {
      type: "service_account",
      project_id: projectId,
      private_key_id: "fake-key-1",
      private_key: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
      client_email: `gateway@${projectId}.iam.gserviceaccount.com`,
      client_id: "1234567890",
      token_uri: "https://oauth2.googleapis.com/token",
    },
    publicKey,
  };
}

export class FakeGoogleTokenServer {
  /** Successful exchanges, and every request received. */
  issued = 0;
  received = 0;
  expiresIn = 3600;
  private failures: Array<{ status: number; error: string; description: string }> = [];
  private readonly accounts = new Map<string, KeyObject>();
  private server: Server | null = null;

  /** Accepts assertions signed by this account. */
  trust(account: FakeServiceAccount): this {
    this.accounts.set(account.json.client_email!, account.publicKey);
    return this;
  }

  failNext(status = 400, error = "invalid_grant", description = "Invalid JWT Signature."): this {
    this.failures.push({ status, error, description });
    return this;
  }

  /** Tokens this server issued are `ya29.fake-<n>`. */
  isIssued(token: string): boolean {
    const n = /^ya29\.fake-(\d+)$/.exec(token)?.[1];
    return n !== undefined && Number(n) >= 1 && Number(n) <= this.issued;
  }

  get url(): string {
    if (!this.server) throw new Error("FakeGoogleTokenServer: start() it first");
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/token`;
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        this.received += 1;
        void this.answer(Buffer.concat(chunks).toString("utf8")).then(({ status, body }) => {
          res.writeHead(status, { "content-type": "application/json" });
          res.end(JSON.stringify(body));
        });
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, "127.0.0.1", resolve));
    return this.url;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  private async answer(raw: string): Promise<{ status: number; body: object }> {
    const failure = this.failures.shift();
    if (failure)
      return { status: failure.status, body: { error: failure.error, error_description: failure.description } };
    const form = new URLSearchParams(raw);
    if (form.get("grant_type") !== "urn:ietf:params:oauth:grant-type:jwt-bearer") {
      return { status: 400, body: { error: "unsupported_grant_type", error_description: "Invalid grant_type" } };
    }
    const assertion = form.get("assertion") ?? "";
    const claims = JSON.parse(Buffer.from(assertion.split(".")[1] ?? "", "base64url").toString("utf8") || "{}") as {
      iss?: string;
    };
    const key = this.accounts.get(claims.iss ?? "");
    try {
      if (!key) throw new Error("unknown issuer");
      const { payload } = await jwtVerify(assertion, key, { audience: this.url, issuer: claims.iss! });
      if (payload.scope !== "https://www.googleapis.com/auth/cloud-platform") throw new Error("scope");
    } catch {
      return { status: 400, body: { error: "invalid_grant", error_description: "Invalid JWT Signature." } };
    }
    this.issued += 1;
    return {
      status: 200,
      body: { access_token: `ya29.fake-${this.issued}`, expires_in: this.expiresIn, token_type: "Bearer" },
    };
  }
}
