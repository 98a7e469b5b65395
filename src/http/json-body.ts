/**
 * Turns a raw request body into a validated value: strict JSON (invalid UTF-8, lone surrogates,
 * duplicate keys, floats and out-of-range integers refused) then the route's zod schema.
 */
import type { ZodType } from "zod";
import { MatrixError } from "../errors.js";
import { JsonParseError } from "../protocol/strict-json-error.js";
import { parseStrictJson } from "../protocol/strict-json.js";

export function parseJsonBody<T>(raw: Buffer | undefined, schema: ZodType<T>): T {
  let value: unknown = {};
  if (raw && raw.length > 0) {
    try {
      value = parseStrictJson(raw, { mode: "strict" });
    } catch (error) {
      if (error instanceof JsonParseError) {
        throw error.kind === "syntax"
          ? new MatrixError(400, "M_NOT_JSON", `Content not JSON: ${error.message}`)
          : new MatrixError(400, "M_BAD_JSON", error.message);
      }
      throw error;
    }
  }
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue && issue.path.length > 0 ? issue.path.join(".") : "body";
  const missing = issue?.code === "invalid_type" && /received undefined/.test(issue.message);
  throw new MatrixError(400, missing ? "M_MISSING_PARAM" : "M_BAD_JSON", `${where}: ${issue?.message ?? "invalid"}`);
}
