/**
 * Tokens clients hold: the sync token (every stream's position, `s` + positions joined by `_`) and
 * the room pagination token (`t<depth>-<stream>`, a point in a room's topological order). Tokens
 * from older formats or of another shape get 400 M_INVALID_PARAM, never a 500.
 */
import { MatrixError } from "../../errors.js";
import { STREAMS, type StreamPositions } from "../../notifier/notifier.js";

export function encodeSyncToken(positions: StreamPositions): string {
  return `s${STREAMS.map((s) => positions[s]).join("_")}`;
}

/** A token from the future (another server's, or after a restore) is treated as "now". */
export function clampToNow(positions: StreamPositions, now: StreamPositions): StreamPositions {
  const out = { ...positions };
  for (const key of Object.keys(out) as (keyof StreamPositions)[]) if (out[key] > now[key]) out[key] = now[key];
  return out;
}

export function samePositions(a: StreamPositions, b: StreamPositions): boolean {
  return (Object.keys(a) as (keyof StreamPositions)[]).every((k) => a[k] === b[k]);
}

export function decodeSyncToken(token: string): StreamPositions {
  const match = /^s(\d+(?:_\d+)*)$/.exec(token);
  if (!match) throw new MatrixError(400, "M_INVALID_PARAM", "Invalid sync token");
  const parts = (match[1] as string).split("_").map(Number);
  // Tokens made before a stream existed have fewer parts: the missing streams start from 0.
  return Object.fromEntries(STREAMS.map((s, i) => [s, parts[i] ?? 0])) as StreamPositions;
}

export interface TopologicalToken {
  depth: number;
  stream: number;
}

export function encodeTopologicalToken(token: TopologicalToken): string {
  return `t${token.depth}-${token.stream}`;
}

/** A pagination token: topological, or a sync token (its events position, as clients pass next_batch). */
export type PaginationToken = { kind: "topological"; depth: number; stream: number } | { kind: "stream"; stream: number };

export function decodePaginationToken(token: string): PaginationToken {
  // The stream part is negative for events fetched from other servers (backfill-store.ts).
  const topo = /^t(\d+)-(-?\d+)$/.exec(token);
  if (topo) return { kind: "topological", depth: Number(topo[1]), stream: Number(topo[2]) };
  if (token.startsWith("s")) return { kind: "stream", stream: decodeSyncToken(token).events };
  throw new MatrixError(400, "M_INVALID_PARAM", "Invalid pagination token");
}
