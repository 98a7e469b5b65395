/**
 * The JSON values Matrix moves around. Integers outside the IEEE-754 safe range can occur in events of
 * room versions 1–5; the strict parser keeps them exact as `bigint` so that re-encoding them (for hashes
 * and signatures) gives back the same bytes.
 */
export type JsonValue = null | boolean | number | bigint | string | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Deep copy of a JSON value (structuredClone keeps bigint and is faster than a JSON round trip). */
export function cloneJson<T extends JsonValue>(value: T): T {
  return structuredClone(value);
}
