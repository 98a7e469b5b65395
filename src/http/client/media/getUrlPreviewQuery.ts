/** The query of both preview_url endpoints: the URL (required) and the preferred time `ts`. */
import { integerParam, requiredParam } from "../../query-params.js";
import type { RouteRequest } from "../../route.js";

export function previewQuery(request: RouteRequest<unknown>): { url: string; ts: number | undefined } {
  return { url: requiredParam(request, "url"), ts: integerParam(request, "ts", 0) };
}
