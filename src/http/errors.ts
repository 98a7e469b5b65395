/**
 * The one place where errors become HTTP responses. A MatrixError renders as itself; Fastify's own
 * errors (body too large, bad content length, malformed URL) get the spec's codes; anything else is a
 * 500 that says only M_UNKNOWN while the cause goes to the log.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { MatrixError } from "../errors.js";
import type { Logger } from "../logger.js";

export function toMatrixError(error: unknown, log: Logger, request?: FastifyRequest): MatrixError {
  if (error instanceof MatrixError) return error;
  const fastifyError = error as Partial<FastifyError>;
  switch (fastifyError.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return new MatrixError(413, "M_TOO_LARGE", "Request body too large");
    case "FST_ERR_CTP_INVALID_CONTENT_LENGTH":
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return new MatrixError(400, "M_NOT_JSON", "Invalid request body");
    case "FST_ERR_BAD_URL":
    case "FST_ERR_ASYNC_CONSTRAINT":
      return new MatrixError(400, "M_UNRECOGNIZED", "Malformed request URL");
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return new MatrixError(400, "M_NOT_JSON", "Unsupported content type");
    case "FST_ERR_MAX_PARAM_LENGTH":
      // A path parameter (room ID, transaction ID, ...) longer than any valid one.
      return new MatrixError(414, "M_TOO_LARGE", "A path parameter is too long");
  }
  if (typeof fastifyError.statusCode === "number" && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    // Client errors raised by the HTTP machinery (aborted bodies, bad headers): never a 500.
    return new MatrixError(fastifyError.statusCode, "M_UNKNOWN", fastifyError.message ?? "Bad request");
  }
  log.error({ err: error, url: request?.url, method: request?.method }, "request failed");
  return new MatrixError(500, "M_UNKNOWN", "Internal server error");
}

export function sendMatrixError(reply: FastifyReply, error: MatrixError): void {
  if (error.errcode === "M_LIMIT_EXCEEDED" && typeof error.extra["retry_after_ms"] === "number") {
    reply.header("retry-after", String(Math.ceil(error.extra["retry_after_ms"] / 1000)));
  }
  if (error.status === 401 && (error.errcode === "M_MISSING_TOKEN" || error.errcode === "M_UNKNOWN_TOKEN")) {
    reply.header("www-authenticate", 'Bearer realm="matrix"');
  }
  reply.code(error.status).header("content-type", "application/json").send(JSON.stringify(error.toJSON()));
}
