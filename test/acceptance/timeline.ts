/** Small helpers over SDK timelines and bulk sending, shared by the acceptance tests. */
import assert from "node:assert/strict";
import type { MatrixEvent } from "matrix-js-sdk";
import type { ApiClient } from "../harness/client.js";

/** The `body` of every m.room.message in the timeline, in order. */
export function bodiesIn(events: readonly MatrixEvent[]): string[] {
  return events.filter((e) => e.getType() === "m.room.message").map((e) => String(e.getContent()["body"]));
}

/** The event with that ID in the timeline. */
export function messageIn(events: readonly MatrixEvent[], eventId: string): MatrixEvent | undefined {
  return events.find((e) => e.getId() === eventId);
}

/** Sends `count` text messages through the API (faster than the SDK's send queue), returning their IDs in order. */
export async function sendMany(api: ApiClient, roomId: string, count: number, body: (i: number) => string): Promise<string[]> {
  const ids: string[] = [];
  const prefix = `bulk-${Date.now()}`;
  for (let i = 0; i < count; i++) {
    const sent = await api.put<{ event_id: string }>(`/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/${prefix}-${i}`, { msgtype: "m.text", body: body(i) });
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    ids.push(sent.body.event_id);
  }
  return ids;
}
