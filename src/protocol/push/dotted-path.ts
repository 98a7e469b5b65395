/**
 * Dot-separated property paths (appendices "Dot-separated property paths"): `content.m\.relates_to`
 * is `m.relates_to` inside `content`; `\\` is a literal backslash; any other escape stays as written
 * (`\x` is a backslash followed by `x`).
 */

const cache = new Map<string, readonly string[]>();

export function splitDottedPath(path: string): readonly string[] {
  const hit = cache.get(path);
  if (hit) return hit;
  const parts: string[] = [];
  let current = "";
  for (let i = 0; i < path.length; i++) {
    const char = path[i] as string;
    if (char === "\\") {
      const next = path[i + 1];
      if (next === "." || next === "\\") {
        current += next;
        i++;
      } else {
        current += char;
      }
    } else if (char === ".") {
      parts.push(current);
      current = "";
    } else {
      current += char;
    }
  }
  parts.push(current);
  if (cache.size > 10_000) cache.clear();
  cache.set(path, parts);
  return parts;
}

/** The value at a path, or undefined when a step is missing or not an object. */
export function valueAtPath(source: unknown, path: readonly string[]): unknown {
  let value = source;
  for (const part of path) {
    if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
    if (!Object.prototype.hasOwnProperty.call(value, part)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}
