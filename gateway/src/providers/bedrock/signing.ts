import { Sha256 } from "@aws-crypto/sha256-js";
import { SignatureV4 } from "@smithy/signature-v4";
import type { HttpRequestSpec } from "../adapter.ts";
import type { ProviderTarget } from "../provider.ts";

const regionOf = (t: ProviderTarget) => t.providerFields.aws_region;

/**
 * Signs with SigV4 (service `bedrock`) when AWS keys are given, else sends a Bedrock API key as
 * Bearer. Forwarded client headers are added after signing, so they are never part of the signature.
 */
export async function signedRequest(target: ProviderTarget, url: string, body: string): Promise<HttpRequestSpec> {
  const parsed = new URL(url);
  const base: Record<string, string> = {
    "content-type": "application/json",
    accept: "application/json",
    host: parsed.host,
  };
  const fields = target.providerFields;
  let headers: Record<string, string>;
  if (fields.aws_access_key_id && fields.aws_secret_access_key) {
    const signer = new SignatureV4({
      service: "bedrock",
      region: regionOf(target) ?? "us-east-1",
      sha256: Sha256,
      credentials: {
        accessKeyId: fields.aws_access_key_id,
        secretAccessKey: fields.aws_secret_access_key,
        ...(fields.aws_session_token ? { sessionToken: fields.aws_session_token } : {}),
      },
    });
    const signed = await signer.sign({
      method: "POST",
      protocol: parsed.protocol,
      hostname: parsed.hostname,
      ...(parsed.port ? { port: Number(parsed.port) } : {}),
      path: parsed.pathname,
      query: {},
      headers: base,
      body,
    });
    headers = signed.headers as Record<string, string>;
  } else {
    headers = { ...base, ...(target.apiKey ? { authorization: `Bearer ${target.apiKey}` } : {}) };
  }
  return { url, headers: { ...target.forwardHeaders, ...headers }, body };
}
