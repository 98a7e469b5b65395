/** Query parameters of the legacy endpoints: bad values are 400 M_INVALID_PARAM, never a 500. */
import { MatrixError } from "../../../errors.js";
import type { RouteRequest } from "../../route.js";

/** A non-negative integer parameter, or the fallback when absent. */
export function integerParam(request: RouteRequest<unknown>, name: string, fallback: number): number {
  const value = request.query[name];
  if (value === undefined) return fallback;
  if (typeof value !== "string" || !/^\d{1,12}$/.test(value)) throw new MatrixError(400, "M_INVALID_PARAM", `${name} must be a non-negative integer`);
  return Number(value);
}

/** A boolean parameter ("true" or "false"), or the fallback when absent. */
export function booleanParam(request: RouteRequest<unknown>, name: string, fallback: boolean): boolean {
  const value = request.query[name];
  if (value === undefined) return fallback;
  if (value !== "true" && value !== "false") throw new MatrixError(400, "M_INVALID_PARAM", `${name} must be true or false`);
  return value === "true";
}

/** A string parameter given at most once. */
export function stringParam(request: RouteRequest<unknown>, name: string): string | undefined {
  const value = request.query[name];
  if (value !== undefined && typeof value !== "string") throw new MatrixError(400, "M_INVALID_PARAM", `${name} must be given once`);
  return value;
}
