/**
 * Response bodies as JSON text. JSON.stringify is the fast path; values that hold bigints (integers
 * beyond 2^53 from events of room versions 1–5) fall back to the lenient canonical encoder, which
 * writes them exactly.
 */
import { canonicalJson } from "../protocol/canonical-json.js";
import type { JsonValue } from "../protocol/json.js";

export function serializeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? "{}";
  } catch (error) {
    if (error instanceof TypeError && /BigInt/i.test(error.message)) {
      return canonicalJson(value as JsonValue, { lenient: true });
    }
    throw error;
  }
}
