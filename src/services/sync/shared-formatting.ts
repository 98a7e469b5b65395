/**
 * Client formatting of the events /sync sends, shared between the syncing users who receive the same
 * events at the same position (the members a new message wakes). The viewer-free rendering is made
 * once; each viewer gets a copy with its own `age`. What depends on the viewer is rendered for them
 * alone: their own events (`transaction_id`), redacted events (the redaction may be theirs) and
 * events with bundled aggregations (thread participation, their own edits). This relies on the
 * unsigned providers adding nothing for a viewer that they add for no one.
 */
import type { StoredEvent } from "../../storage/event-store.js";
import type { Clock } from "../clock.js";
import type { ClientEvent, EventFormatter, Viewer } from "../rooms/event-formatter.js";
import type { PositionMemo } from "./position-memo.js";

export class SharedFormatting {
  constructor(
    private readonly formatter: EventFormatter,
    private readonly memo: PositionMemo,
    private readonly clock: Clock,
  ) {}

  /** As formatter.format(list, { viewer, omitRoomId: true, bundle }), in the same order. */
  async format(list: readonly StoredEvent[], viewer: Viewer, bundle: boolean): Promise<ClientEvent[]> {
    if (list.length === 0) return [];
    const key = `format:${bundle ? 1 : 0}:${list.map((e) => e.nid).join(",")}`;
    const shared = await this.memo.get(key, () => this.formatter.format(list, { omitRoomId: true, bundle }));
    const personal = list.filter((e, i) => this.dependsOnViewer(e, shared[i] as ClientEvent, viewer));
    const own = new Map<number, ClientEvent>();
    if (personal.length > 0) {
      const formatted = await this.formatter.format(personal, { viewer, omitRoomId: true, bundle });
      personal.forEach((e, i) => own.set(e.nid, formatted[i] as ClientEvent));
    }
    const now = this.clock.now();
    return list.map((e, i) => own.get(e.nid) ?? withAge(shared[i] as ClientEvent, now));
  }

  private dependsOnViewer(stored: StoredEvent, shared: ClientEvent, viewer: Viewer): boolean {
    if (viewer.deviceId !== undefined && stored.pdu.sender === viewer.userId) return true;
    return stored.redactedByNid !== null || shared.unsigned["m.relations"] !== undefined;
  }
}

/** A copy for one response: the shared object is never changed, its `age` is made current. */
function withAge(event: ClientEvent, now: number): ClientEvent {
  return { ...event, unsigned: { ...event.unsigned, age: Math.max(0, now - event.origin_server_ts) } };
}
