/**
 * Turns a raw request body into a validated value: strict JSON (invalid UTF-8, lone surrogates,
 * duplicate keys, floats and out-of-range integers refused) then the route's zod schema. Routes whose
 * content is never signed (account data, room tags, profile fields) may accept fractional numbers;
 * integers beyond ±(2^53 − 1) are refused there too.
 */
import type { ZodType } from "zod";
import { MatrixError } from "../errors.js";
import { JsonParseError } from "../protocol/strict-json-error.js";
import { parseStrictJson } from "../protocol/strict-json.js";

export function parseJsonBody<T>(raw: Buffer | undefined, schema: ZodType<T>, options: { fractions?: boolean } = {}): T {
  let value: unknown = {};
  if (raw && raw.length > 0) {
    try {
      value = parseStrictJson(raw, { mode: options.fractions ? "lenient" : "strict" });
    } catch (error) {
      if (error instanceof JsonParseError) {
        throw error.kind === "syntax"
          ? new MatrixError(400, "M_NOT_JSON", `Content not JSON: ${error.message}`)
          : new MatrixError(400, "M_BAD_JSON", error.message);
      }
      throw error;
    }
  }
  if (options.fractions && holdsBigInt(value)) throw new MatrixError(400, "M_BAD_JSON", "Integer out of range");
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue && issue.path.length > 0 ? issue.path.join(".") : "body";
  // A required key that is absent is M_MISSING_PARAM whatever the schema expected there (type, enum, …).
  const missing = issue !== undefined && issue.path.length > 0 && valueAt(value, issue.path) === undefined;
  throw new MatrixError(400, missing ? "M_MISSING_PARAM" : "M_BAD_JSON", `${where}: ${issue?.message ?? "invalid"}`);
}

function holdsBigInt(value: unknown): boolean {
  if (typeof value === "bigint") return true;
  if (Array.isArray(value)) return value.some(holdsBigInt);
  if (value !== null && typeof value === "object") return Object.values(value).some(holdsBigInt);
  return false;
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}
