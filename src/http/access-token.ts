/**
 * Reads the access token of a client request: the `Authorization: Bearer` header, or the deprecated
 * `access_token` query parameter that older clients and application services still use.
 */
import { MatrixError } from "../errors.js";

export function extractAccessToken(authorization: string | undefined, query: unknown): string | undefined {
  if (authorization !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!match) throw new MatrixError(401, "M_MISSING_TOKEN", "Invalid Authorization header");
    return match[1];
  }
  const fromQuery = (query as Record<string, unknown> | undefined)?.["access_token"];
  if (typeof fromQuery === "string" && fromQuery.length > 0) return fromQuery;
  return undefined;
}
