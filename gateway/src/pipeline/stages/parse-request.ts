import { checkPortkeyHeaders, metadataFrom } from "../../http/portkey-headers.ts";
import type { ChatRequestLike } from "../../telemetry/index.ts";
import type { RequestStage } from "../stage.ts";

/**
 * Reads the request: the x-portkey-* headers' bounds, x-portkey-metadata, then the body through the endpoint's schema (a 400 naming
 * the field, recorded as an event). Stages after this one may rewrite `ctx.request`.
 * Writes: metadata, request, user, route (model requested, stream; configId comes with the plan).
 */
export const parseRequest: RequestStage = {
  name: "parse-request",
  run(ctx, next) {
    // Every x-portkey-* header within its bound (docs/LIMITS.md), a 400 naming the header.
    checkPortkeyHeaders(ctx.headers);
    ctx.metadata = metadataFrom(ctx.headers);
    const request = ctx.endpoint.parse(ctx.rawBody);
    ctx.request = request;
    const described = ctx.endpoint.describe(request);
    const params = ctx.endpoint.params ? ctx.endpoint.params(request) : request;
    ctx.telemetry?.setRequest(params as ChatRequestLike);
    ctx.user = ctx.metadata._user ?? described.user;
    ctx.route = { modelRequested: described.model, configId: null, stream: described.stream };
    return next();
  },
};
