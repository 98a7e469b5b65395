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

type SyncBody = { next_batch: string; rooms?: { join?: Record<string, { timeline: { events: SyncEvent[] }; state: { events: SyncEvent[] } }> } };

/** What /sync showed of one room: every timeline and state event seen, and the token to go on from. */
export interface RoomView {
  timeline: SyncEvent[];
  state: SyncEvent[];
  since: string;
}

/** Syncs from `since` (initial sync when undefined) until `done` holds for what was seen of the room. */
export async function syncUntil(client: ApiClient, roomId: string, done: (view: RoomView) => boolean, since?: string, timeoutMs = 20_000): Promise<RoomView> {
  const deadline = Date.now() + timeoutMs;
  const view: RoomView = { timeline: [], state: [], since: since ?? "" };
  for (;;) {
    const query = view.since ? `?timeout=1000&since=${view.since}` : "?timeout=0";
    const response = await client.get<SyncBody>(`/_matrix/client/v3/sync${query}`);
    assert.equal(response.status, 200);
    const room = response.body.rooms?.join?.[roomId];
    if (room) {
      view.timeline.push(...room.timeline.events);
      view.state.push(...room.state.events);
    }
    view.since = response.body.next_batch;
    if (done(view)) return view;
    if (Date.now() > deadline) assert.fail(`timed out waiting in ${roomId}: saw ${JSON.stringify(view.timeline.map((e) => [e.type, e.content["body"] ?? e.content["membership"]]))}`);
  }
}

/** The current sync position of a client. */
export async function syncPosition(client: ApiClient): Promise<string> {
  return (await client.get<SyncBody>("/_matrix/client/v3/sync?timeout=0")).body.next_batch;
}

export const bodies = (view: RoomView): unknown[] => view.timeline.filter((e) => e.type === "m.room.message").map((e) => e.content["body"]);
