import type { ChatCompletionRequest } from "../../schemas/chat.ts";
import type { ProviderCapabilities } from "../provider.ts";
import { RequestRejected } from "./rejected.ts";

/** Image parts of a chat request: [message index, part index, url]. */
export function imageParts(request: ChatCompletionRequest): Array<{ message: number; part: number; url: string }> {
  const found: Array<{ message: number; part: number; url: string }> = [];
  request.messages.forEach((m, i) => {
    if (!Array.isArray(m.content)) return;
    m.content.forEach((p, j) => {
      if (p.type !== "image_url") return;
      const image = (p as { image_url?: unknown }).image_url;
      const url = typeof image === "string" ? image : (image as { url?: unknown } | undefined)?.url;
      found.push({ message: i, part: j, url: typeof url === "string" ? url : "" });
    });
  });
  return found;
}

/**
 * What a request needs that the provider lacks is refused before any upstream call, with the
 * offending parameter named: tools, images (or image URLs where only inline data is taken), JSON mode.
 */
export function checkCapabilities(
  providerId: string,
  caps: ProviderCapabilities,
  request: ChatCompletionRequest,
): void {
  const tools = (request as { tools?: unknown }).tools;
  if (!caps.tools && Array.isArray(tools) && tools.length > 0) {
    throw new RequestRejected(`provider ${providerId} does not support tools`, "tools", "unsupported_parameter");
  }
  const format = (request as { response_format?: { type?: unknown } | null }).response_format;
  if (!caps.json_mode && format && (format.type === "json_object" || format.type === "json_schema")) {
    throw new RequestRejected(
      `provider ${providerId} does not support response_format ${String(format.type)}`,
      "response_format",
      "unsupported_parameter",
    );
  }
  const images = imageParts(request);
  if (images.length === 0) return;
  const first = images[0]!;
  const param = `messages.${first.message}.content.${first.part}.image_url`;
  if (!caps.vision) {
    throw new RequestRejected(`provider ${providerId} does not accept image input`, param, "unsupported_parameter");
  }
  if (!caps.image_urls) {
    for (const image of images) {
      if (!image.url.startsWith("data:")) {
        throw new RequestRejected(
          `provider ${providerId} cannot fetch image URLs; send the image inline as a base64 data: URL`,
          `messages.${image.message}.content.${image.part}.image_url`,
          "unsupported_image_url",
        );
      }
    }
  }
}

/** A `data:<mime>;base64,<data>` URL split up, or null. */
export function parseDataUrl(url: string): { mediaType: string; data: string } | null {
  const match = /^data:([^;,]+);base64,(.*)$/s.exec(url);
  return match ? { mediaType: match[1]!, data: match[2]! } : null;
}
