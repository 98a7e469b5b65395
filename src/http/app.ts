/**
 * The Fastify application of one listener: CORS, raw body collection (JSON is parsed per route by the
 * strict parser), authentication, rate limits, the routes of the listener's resources, 404/405 answers
 * and the error handler.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import type { IncomingMessage } from "node:http";
import { Readable } from "node:stream";
import { MatrixError } from "../errors.js";
import { CORS_HEADERS } from "./cors.js";
import type { HttpDeps } from "./deps.js";
import { sendMatrixError, toMatrixError } from "./errors.js";
import { parseJsonBody } from "./json-body.js";
import { HttpResponse, type Route, type RouteRequest } from "./route.js";
import { serializeJson } from "./serialize.js";
import { extractAccessToken } from "./access-token.js";
import { abortSignalOf, ClientGone } from "./client-gone.js";
import { isR0Path, r0Rewriter } from "./r0-aliases.js";
import type { JsonValue } from "../protocol/json.js";
import { parseStrictJson } from "../protocol/strict-json.js";

/** The Content-Type a streaming route's request came with (see the streaming scope in buildApp). */
const clientContentTypes = new WeakMap<FastifyRequest, string | undefined>();

export interface AppOptions {
  readonly deps: HttpDeps;
  readonly routes: readonly Route<unknown>[];
  readonly https?: { cert: Buffer; key: Buffer };
  readonly trustProxy?: boolean;
}

/** Path patterns of every route, to answer 405 for a known path with another method. */
function pathMatcher(routes: readonly Route<unknown>[]): (path: string) => boolean {
  const patterns = routes.flatMap((route) =>
    route.paths.map((p) => new RegExp(`^${p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/:[A-Za-z]+/g, "[^/]+")}/?$`)),
  );
  return (path) => patterns.some((pattern) => pattern.test(path));
}

function noSchemaCompiler(): never {
  throw new Error("Fastify route schemas are not used here: routes validate their input with zod");
}

export function buildApp(options: AppOptions): FastifyInstance {
  const { deps } = options;
  const routeUrl = r0Rewriter(options.routes);
  const app = Fastify({
    logger: false,
    bodyLimit: deps.config.limits.max_request_body_bytes,
    trustProxy: options.trustProxy ?? false,
    return503OnClosing: true,
    forceCloseConnections: true,
    ...(options.https ? { https: options.https } : {}),
    routerOptions: { maxParamLength: 2048, ignoreTrailingSlash: true, caseSensitive: true },
    rewriteUrl: (request: IncomingMessage) => routeUrl(request.url ?? "/"),
    // Routes validate with zod and serialize themselves, never with Fastify schemas; without these
    // factories Fastify loads Ajv (three copies) and fast-json-stringify at start, ~270 modules and
    // several MiB of heap that would never run.
    schemaController: { compilersFactory: { buildValidator: noSchemaCompiler, buildSerializer: noSchemaCompiler } },
    // Errors the router raises before any route or hook runs (malformed percent-encoding, a path
    // parameter over maxParamLength) would otherwise be answered in Fastify's own format.
    frameworkErrors: (error: unknown, request: FastifyRequest, reply: FastifyReply) => {
      reply.headers(CORS_HEADERS);
      sendMatrixError(reply, toMatrixError(error, deps.log, request));
    },
  } as Parameters<typeof Fastify>[0]) as unknown as FastifyInstance;

  // Bodies are collected as bytes whatever the content type (some clients send none); routes with a
  // schema parse them as strict JSON. Fastify enforces bodyLimit before buffering (Content-Length) and
  // while streaming.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer" }, (_request, body, done) => done(null, body));

  // A callback hook, not an async one: no promise per request for four headers.
  app.addHook("onRequest", (_request, reply, done) => {
    reply.headers(CORS_HEADERS);
    done();
  });

  app.options("*", async (_request, reply) => {
    reply.code(200).header("content-type", "application/json").send("{}");
  });

  for (const route of options.routes) {
    if (route.streamBody) continue;
    for (const path of route.paths) {
      if (isR0Path(path)) continue; // served by its v3 twin (r0-aliases.ts)
      app.route({
        method: route.method,
        url: path,
        ...(route.maxBodyBytes !== undefined ? { bodyLimit: Math.max(route.maxBodyBytes, deps.config.limits.max_request_body_bytes) } : {}),
        handler: (request, reply) => runRoute(route, request, reply, deps),
      });
    }
  }

  // Routes that stream their body (media uploads) live in a scope of their own whose only content type
  // parser hands the request stream through untouched, for any content type: nothing is buffered, and
  // the handler enforces its own size limit while it reads.
  const streaming = options.routes.filter((route) => route.streamBody);
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", (_request, payload, done) => done(null, payload));
    // Fastify refuses a Content-Type it cannot parse before any parser runs; an upload's type is only
    // data to store (the service turns a bad one into application/octet-stream), so Fastify is shown a
    // fixed one and the handler gets the client's.
    scope.addHook("onRequest", async (request) => {
      clientContentTypes.set(request, request.headers["content-type"]);
      request.headers["content-type"] = "application/octet-stream";
    });
    for (const route of streaming) {
      for (const path of route.paths) {
        if (isR0Path(path)) continue;
        scope.route({ method: route.method, url: path, handler: (request, reply) => runRoute(route, request, reply, deps) });
      }
    }
  });

  const knownPath = pathMatcher(options.routes);
  app.setNotFoundHandler(async (request, reply) => {
    const path = request.url.split("?")[0] ?? "";
    if (knownPath(path)) {
      sendMatrixError(reply, new MatrixError(405, "M_UNRECOGNIZED", "Unrecognized request method"));
    } else {
      sendMatrixError(reply, new MatrixError(404, "M_UNRECOGNIZED", "Unrecognized request"));
    }
  });

  app.setErrorHandler(async (error, request, reply) => {
    // An error answered before the body was read (a refused upload): close the connection rather than
    // let Node read and discard the rest of a body that may be gigabytes.
    if (!(request.raw as IncomingMessage).complete) reply.header("connection", "close");
    sendMatrixError(reply, toMatrixError(error, deps.log, request));
  });

  return app;
}

/** The JSON body a federation request signature covers (undefined without a body). */
function signedContent(body: unknown): JsonValue | undefined {
  if (!Buffer.isBuffer(body) || body.length === 0) return undefined;
  try {
    return parseStrictJson(body);
  } catch {
    throw new MatrixError(400, "M_NOT_JSON", "Content not JSON");
  }
}

function clientIp(request: FastifyRequest): string {
  return request.ip || (request.raw as IncomingMessage).socket.remoteAddress || "unknown";
}

async function runRoute(route: Route<unknown>, request: FastifyRequest, reply: FastifyReply, deps: HttpDeps): Promise<void> {
  const gone = new ClientGone(reply.raw);
  let signal: AbortSignal | undefined;
  const token = route.auth === "none" || route.auth === "server" ? undefined : extractAccessToken(request.headers.authorization, request.query);
  let requester = undefined;
  if (token !== undefined) {
    requester = await deps.auth.authenticate(token, { ip: clientIp(request), userAgent: request.headers["user-agent"] }, { allowLocked: route.allowLocked ?? false });
  } else if (route.auth === "user") {
    throw new MatrixError(401, "M_MISSING_TOKEN", "Missing access token");
  }
  if (requester?.isGuest && route.auth === "user" && !route.allowGuests) {
    throw new MatrixError(403, "M_GUEST_ACCESS_FORBIDDEN", "Guest access not allowed");
  }
  if (route.rateLimit) deps.rateLimiter.check(route.rateLimit, requester?.userId ?? clientIp(request));

  const body = route.body ? parseJsonBody(request.body as Buffer | undefined, route.body, { fractions: route.fractions ?? false }) : undefined;
  // A federation request's signature covers its body as sent, before any schema default fills it in.
  const origin = route.auth === "server" ? await deps.federationAuth.authenticate(request.method, request.url, request.headers.authorization, signedContent(request.body)) : undefined;
  const routeRequest: RouteRequest<unknown> = {
    deps,
    params: request.params as Record<string, string>,
    query: request.query as Record<string, string | string[] | undefined>,
    body,
    requester,
    origin,
    ip: clientIp(request),
    userAgent: request.headers["user-agent"],
    gone,
    get signal() {
      return (signal ??= abortSignalOf(gone));
    },
    headers: route.streamBody ? { ...request.headers, "content-type": clientContentTypes.get(request) } : request.headers,
    // A streaming route's request without a body gets no parser call: give it an empty stream.
    bodyStream: route.streamBody ? ((request.body as Readable | undefined) ?? Readable.from([])) : undefined,
  };
  // Chained rather than awaited: a long-poll then holds no suspended frame of this function, only
  // the reply and `gone` (thousands wait at once).
  return Promise.resolve(route.handle(routeRequest)).then((result: unknown) => respond(reply, gone, result));
}

/** Sends what a route returned, unless the reply went out already or the client is gone. */
async function respond(reply: FastifyReply, gone: ClientGone, result: unknown): Promise<void> {
  if (reply.sent || gone.aborted) {
    if (result instanceof HttpResponse && result.body instanceof Readable) result.body.destroy();
    return;
  }
  if (result instanceof HttpResponse) {
    reply.code(result.status).headers(result.headers);
    if (result.body instanceof Readable) {
      reply.send(result.body);
      // Fastify writes a stream's head lazily: were the handler to return now, Fastify would take the
      // unsent reply for one never answered and answer it empty. Return once the stream is done.
      await new Promise<void>((resolve) => reply.then(resolve, () => resolve()));
      return;
    }
    if (typeof result.body === "string" || Buffer.isBuffer(result.body)) {
      reply.send(result.body);
      return;
    }
    reply.header("content-type", "application/json").send(serializeJson(result.body ?? {}));
    return;
  }
  reply.code(200).header("content-type", "application/json").send(serializeJson(result ?? {}));
}
