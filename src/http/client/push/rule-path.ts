/** The `{kind}/{ruleId}` part of the push rule paths, with the scope (only `global` exists, checked by the service). */
import { MatrixError } from "../../../errors.js";
import type { RulePath } from "../../../services/push/push-rule-service.js";
import type { RouteRequest } from "../../route.js";

export function rulePath(request: RouteRequest<unknown>): RulePath {
  return { scope: request.params["scope"] as string, kind: request.params["kind"] as string, ruleId: request.params["ruleId"] as string };
}

/** A query parameter that may be given once; 400 M_INVALID_PARAM when repeated. */
export function singleQuery(request: RouteRequest<unknown>, name: string): string | undefined {
  const value = request.query[name];
  if (Array.isArray(value)) throw new MatrixError(400, "M_INVALID_PARAM", `${name} must be given once`);
  return value;
}
