/** Query parameters of every endpoint: bad values are 400 M_INVALID_PARAM, never a 500. */
import { MatrixError } from "../errors.js";
import type { RouteRequest } from "./route.js";

/** A parameter given at most once. */
export function singleParam(request: RouteRequest<unknown>, name: string): string | undefined {
  const value = request.query[name];
  if (Array.isArray(value)) throw new MatrixError(400, "M_INVALID_PARAM", `${name} must be given once`);
  return value;
}

/** A required parameter (400 M_MISSING_PARAM when absent). */
export function requiredParam(request: RouteRequest<unknown>, name: string): string {
  const value = singleParam(request, name);
  if (value === undefined) throw new MatrixError(400, "M_MISSING_PARAM", `${name} is required`);
  return value;
}

/** An integer parameter of at least `min`, or undefined when absent. */
export function integerParam(request: RouteRequest<unknown>, name: string, min: number): number | undefined {
  const value = singleParam(request, name);
  if (value === undefined) return undefined;
  if (!/^-?\d{1,15}$/.test(value) || Number(value) < min) throw new MatrixError(400, "M_INVALID_PARAM", `${name} must be an integer of at least ${min}`);
  return Number(value);
}

/** A boolean parameter ("true" or "false"), or the fallback when absent. */
export function booleanParam(request: RouteRequest<unknown>, name: string, fallback: boolean): boolean {
  const value = singleParam(request, name);
  if (value === undefined) return fallback;
  if (value !== "true" && value !== "false") throw new MatrixError(400, "M_INVALID_PARAM", `${name} must be true or false`);
  return value === "true";
}

/** A `limit` of at least `min` (1 unless given), `fallback` when absent, capped at `max`. */
export function limitParam(request: RouteRequest<unknown>, fallback: number, max: number, min = 1): number {
  return Math.min(integerParam(request, "limit", min) ?? fallback, max);
}
