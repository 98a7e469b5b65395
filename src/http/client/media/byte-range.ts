/**
 * HTTP Range requests on downloads (RFC 9110 §14), so that players can seek in videos: one byte range
 * gets 206 with that range; a range starting past the end gets 416. Several ranges, other units and
 * malformed headers are answered with the whole content, as the RFC allows a server to.
 */
export type RangeAnswer = { kind: "full" } | { kind: "partial"; start: number; end: number } | { kind: "unsatisfiable" };

const FULL: RangeAnswer = { kind: "full" };

export function parseRange(header: string | undefined, size: number): RangeAnswer {
  if (header === undefined) return FULL;
  const match = /^bytes=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!match) return FULL;
  const [, first = "", last = ""] = match;
  if (first === "" && last === "") return FULL;
  if (first === "") {
    // A suffix: the last N bytes.
    const length = Number(last);
    if (length === 0 || size === 0) return { kind: "unsatisfiable" };
    return { kind: "partial", start: Math.max(0, size - length), end: size - 1 };
  }
  const start = Number(first);
  if (last !== "" && Number(last) < start) return FULL;
  if (start >= size) return { kind: "unsatisfiable" };
  const end = last === "" ? size - 1 : Math.min(Number(last), size - 1);
  return { kind: "partial", start, end };
}
