/**
 * Helpers for tests of rooms shared between servers: signed raw federation requests (to see exact
 * status codes and error bodies) and /sync polling until a room shows what a test waits for.
 */
import { request } from "node:https";
import assert from "node:assert/strict";
import { signRequest } from "../../src/protocol/x-matrix.js";
import type { SigningKey } from "../../src/protocol/signing-key.js";
import type { ApiClient } from "./client.js";
import type { FederatedServer } from "./federation.js";

export type Json = Record<string, unknown>;
export interface SyncEvent {
  event_id: string;
  type: string;
  sender: string;
  state_key?: string;
  content: Json;
}

/** A request from `from` to `to`'s federation listener, signed with `from`'s key; any status is returned. */
export function signedRequest(from: FederatedServer, to: FederatedServer, method: string, path: string, body?: Json, key: SigningKey = from.server.context.secrets.signingKey): Promise<{ status: number; body: Json }> {
  const authorization = signRequest({ method, uri: path, origin: from.serverName, destination: to.serverName, ...(body !== undefined ? { content: body as never } : {}) }, key);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { authorization, ...(payload ? { "content-type": "application/json" } : {}) };
    const req = request({ host: to.federationHost ?? "127.0.0.1", port: to.federationPort, method, path, headers, rejectUnauthorized: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString() || "{}") as Json }));
    });
    req.on("error", reject);
    req.end(payload);
  });
}

type SyncBody = { next_batch: string; rooms?: { join?: Record<string, { timeline: { events: SyncEvent[]; limited?: boolean; prev_batch?: string }; state: { events: SyncEvent[] } }> } };

/** What /sync showed of one room: every timeline and state event seen, and the token to go on from. */
export interface RoomView {
  timeline: SyncEvent[];
  state: SyncEvent[];
  since: string;
}

/**
 * Syncs from `since` (initial sync when undefined) until `done` holds for what was seen of the room.
 * With `fillGaps`, what a limited timeline left out is read with /messages, as a client would (for a
 * test that waits for every one of a burst of events); without, the view shows what sync sent.
 */
export async function syncUntil(client: ApiClient, roomId: string, done: (view: RoomView) => boolean, since?: string, timeoutMs = 20_000, options: { fillGaps?: boolean } = {}): Promise<RoomView> {
  const deadline = Date.now() + timeoutMs;
  const view: RoomView = { timeline: [], state: [], since: since ?? "" };
  for (;;) {
    const query = view.since ? `?timeout=1000&since=${view.since}` : "?timeout=0";
    const response = await client.get<SyncBody>(`/_matrix/client/v3/sync${query}`);
    assert.equal(response.status, 200);
    const room = response.body.rooms?.join?.[roomId];
    if (room) {
      // More arrived between two syncs than a timeline holds (a burst, on a loaded machine): as a client
      // does, page back from the timeline's start for what it left out.
      if (options.fillGaps && room.timeline.limited && room.timeline.prev_batch && view.since) {
        view.timeline.push(...(await unseenBefore(client, roomId, room.timeline.prev_batch, [...view.timeline, ...room.timeline.events])));
      }
      view.timeline.push(...room.timeline.events);
      view.state.push(...room.state.events);
    }
    view.since = response.body.next_batch;
    if (done(view)) return view;
    if (Date.now() > deadline) assert.fail(`timed out waiting in ${roomId}: saw ${JSON.stringify(view.timeline.map((e) => [e.type, e.content["body"] ?? e.content["membership"]]))}`);
  }
}

/**
 * The room's history from `from` back, oldest first, less the events already seen (by event ID). Not
 * bounded by the earlier token: /messages goes by the graph's order and sync by arrival, and on a server
 * that fetched missing events after newer ones the two differ, so only the whole history back holds
 * every event a limited timeline left out (a few pages in these tests).
 */
async function unseenBefore(client: ApiClient, roomId: string, from: string, seenEvents: readonly SyncEvent[]): Promise<SyncEvent[]> {
  const seen = new Set(seenEvents.map((e) => e.event_id));
  const events: SyncEvent[] = [];
  for (let token: string | undefined = from, page = 0; token !== undefined && page < 50; page++) {
    const answer: { status: number; body: { chunk: SyncEvent[]; end?: string } } = await client.get<{ chunk: SyncEvent[]; end?: string }>(`/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=100&from=${encodeURIComponent(token)}`);
    assert.equal(answer.status, 200);
    events.push(...answer.body.chunk.filter((e) => !seen.has(e.event_id)));
    token = answer.body.chunk.length > 0 ? answer.body.end : undefined;
  }
  return events.reverse();
}

/** The current sync position of a client. */
export async function syncPosition(client: ApiClient): Promise<string> {
  return (await client.get<SyncBody>("/_matrix/client/v3/sync?timeout=0")).body.next_batch;
}

export const bodies = (view: RoomView): unknown[] => view.timeline.filter((e) => e.type === "m.room.message").map((e) => e.content["body"]);
