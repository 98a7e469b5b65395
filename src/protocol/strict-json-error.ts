/**
 * The error of the strict JSON parser. Its `kind` lets the HTTP layer choose the error code:
 * "syntax" (not JSON at all, or not UTF-8 / not Unicode text) maps to M_NOT_JSON, "value" (valid JSON
 * carrying something we refuse: floats, out-of-range integers, duplicate keys, excessive nesting)
 * maps to M_BAD_JSON.
 */
export type JsonParseErrorKind = "syntax" | "value";

export class JsonParseError extends Error {
  override name = "JsonParseError";

  /**
   * @param kind which family of M_ error this is
   * @param detail the problem, without position
   * @param position offset of the problem: bytes when the input was bytes, UTF-16 units for a string
   * @param unit what `position` counts, for the message
   */
  constructor(
    readonly kind: JsonParseErrorKind,
    readonly detail: string,
    readonly position: number,
    unit: "byte" | "offset" = "offset",
  ) {
    super(`${detail} at ${unit} ${position}`);
  }
}
