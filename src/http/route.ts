/**
 * The route helper: every endpoint is a `Route` declared in its own file (named after the spec
 * operationId) and registered on the Fastify app by http/app.ts, which parses, validates,
 * authenticates, rate-limits, calls the handler and renders the result or the MatrixError.
 */
import type { Readable } from "node:stream";
import type { ZodType } from "zod";
import type { HttpDeps } from "./deps.js";
import type { Requester } from "../services/accounts/requester.js";
import type { Cancellation } from "../notifier/notifier.js";

export type HttpMethod = "GET" | "PUT" | "POST" | "DELETE";

/**
 * - `user`: a valid access token is required (guests refused unless `allowGuests`);
 * - `optional`: the token is used when present;
 * - `none`: no token is read;
 * - `server`: a federation request signed by another server (X-Matrix); its origin is `origin`.
 */
export type AuthMode = "user" | "optional" | "none" | "server";

export type RateLimitKind = "message" | "login" | "registration";

export interface RouteRequest<Body> {
  readonly deps: HttpDeps;
  readonly params: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Body;
  /** The authenticated caller (always set when auth is "user"). */
  readonly requester: Requester | undefined;
  /** The server that signed the request (always set when auth is "server"). */
  readonly origin?: string | undefined;
  readonly ip: string;
  readonly userAgent: string | undefined;
  /** Aborted when the client goes away before the response is sent (made on first use). */
  readonly signal: AbortSignal;
  /** The same as `signal`, lighter: what long-polls wait on (client-gone.ts). */
  readonly gone: Cancellation;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /**
   * The request body as it arrives, on routes with `streamBody` (an empty stream when the request had
   * none); undefined elsewhere.
   */
  readonly bodyStream?: Readable | undefined;
}

export interface Route<Body = unknown> {
  readonly operationId: string;
  readonly method: HttpMethod;
  readonly paths: readonly string[];
  readonly auth: AuthMode;
  readonly allowGuests?: boolean;
  /** Served to locked accounts too (only logout: client-server API "Account locking"). */
  readonly allowLocked?: boolean;
  /** Validates the JSON body; without it the body is not read as JSON. */
  readonly body?: ZodType<Body>;
  /** Accept fractional numbers in the body (content that is never signed: account data, tags, profiles). */
  readonly fractions?: boolean;
  readonly rateLimit?: RateLimitKind;
  /**
   * Hand the body to the handler as a stream (`bodyStream`), whatever its content type, instead of
   * collecting it: media uploads, which the handler streams to disk and limits itself. Such a route has
   * no `body` schema; an answer sent before the body was read closes the connection.
   */
  readonly streamBody?: boolean;
  /** A larger body limit than `limits.max_request_body_bytes`, for requests that need one (federation transactions). */
  readonly maxBodyBytes?: number;
  handle(request: RouteRequest<Body>): Promise<unknown> | unknown;
}

/**
 * A non-200 response or extra headers; handlers return a plain value for 200 with a JSON body. A
 * string, Buffer or Readable body is sent as it is (a stream is piped, and destroyed if the client left).
 */
export class HttpResponse {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {}
}

/** Declares a route with its body type inferred from the schema. */
export function defineRoute<Body = undefined>(route: Route<Body>): Route<Body> {
  return route;
}

const CLIENT_PREFIX = "/_matrix/client";

/**
 * The paths of a client endpoint: `/_matrix/client/v3{path}`, plus the `r0` alias where the endpoint
 * existed before v1.1 (Fastify path syntax, `:param`).
 */
export function clientPaths(path: string, options: { r0?: boolean; versions?: readonly string[] } = {}): string[] {
  const versions = options.versions ?? ["v3"];
  const paths = versions.map((version) => `${CLIENT_PREFIX}/${version}${path}`);
  if (options.r0 ?? true) paths.push(`${CLIENT_PREFIX}/r0${path}`);
  return paths;
}
