/**
 * Client formatting of the events /sync sends, shared between the syncing users who receive the same
 * events at the same position (the members a new message wakes). The viewer-free rendering is made
 * once; each viewer gets a copy with its own `age`, and on their own events their `transaction_id`
 * (read for many rooms at once). Redacted events (the redaction may be theirs) and events with
 * bundled aggregations (thread participation, their own edits) are rendered for the viewer alone.
 * This relies on the unsigned providers adding nothing for a viewer that they add for no one, and
 * adding something only to events that other events relate to (bundled aggregations: threads, edits,
 * references): only those are formatted with the providers, the others skip their reads.
 */
import type { EventStore, StoredEvent } from "../../storage/event-store.js";
import type { SyncStore } from "../../storage/sync-store.js";
import type { Clock } from "../clock.js";
import type { ClientEvent, EventFormatter, Viewer } from "../rooms/event-formatter.js";
import type { PositionMemo } from "./position-memo.js";
import { TurnBatcher } from "./turn-batcher.js";

export class SharedFormatting {
  private readonly txnIds: TurnBatcher<number, string>;
  private readonly relationTargets: TurnBatcher<string, true>;

  constructor(
    private readonly formatter: EventFormatter,
    private readonly memo: PositionMemo,
    private readonly clock: Clock,
    events: EventStore,
    syncStore: SyncStore,
  ) {
    this.txnIds = new TurnBatcher(async (device, nids) => {
      const [userId, deviceId] = JSON.parse(device) as [string, string];
      const out = new Map<number, string>();
      for (let i = 0; i < nids.length; i += 500) for (const [nid, txn] of await events.txnIdsFor(nids.slice(i, i + 500), userId, deviceId)) out.set(nid, txn);
      return out;
    });
    this.relationTargets = new TurnBatcher(async (_all, ids) => new Map([...(await syncStore.relationTargets(ids))].map((id) => [id, true as const])));
  }

  /** As formatter.format(list, { viewer, omitRoomId: true, bundle }), in the same order. */
  async format(list: readonly StoredEvent[], viewer: Viewer, bundle: boolean): Promise<ClientEvent[]> {
    if (list.length === 0) return [];
    const key = `format:${bundle ? 1 : 0}:${list.map((e) => e.nid).join(",")}`;
    const shared = await this.memo.get(key, () => this.formatShared(list, bundle));
    const personal: StoredEvent[] = [];
    const ownNids: number[] = [];
    list.forEach((e, i) => {
      if (e.redactedByNid !== null || (shared[i] as ClientEvent).unsigned["m.relations"] !== undefined) personal.push(e);
      else if (viewer.deviceId !== undefined && e.pdu.sender === viewer.userId) ownNids.push(e.nid);
    });
    const [formatted, txnIds] = await Promise.all([
      personal.length > 0 ? this.formatter.format(personal, { viewer, omitRoomId: true, bundle }) : [],
      ownNids.length > 0 ? this.txnIds.load(JSON.stringify([viewer.userId, viewer.deviceId]), ownNids) : undefined,
    ]);
    const own = new Map<number, ClientEvent>();
    personal.forEach((e, i) => own.set(e.nid, formatted[i] as ClientEvent));
    const now = this.clock.now();
    return list.map((e, i) => own.get(e.nid) ?? forViewer(shared[i] as ClientEvent, now, txnIds?.get(e.nid)));
  }

  /** The viewer-free rendering; the unsigned providers run only on events something relates to. */
  private async formatShared(list: readonly StoredEvent[], bundle: boolean): Promise<ClientEvent[]> {
    if (!bundle) return this.formatter.format(list, { omitRoomId: true, bundle: false });
    const targets = await this.relationTargets.load("", list.map((e) => e.eventId));
    const related = list.filter((e) => targets.has(e.eventId));
    if (related.length === list.length) return this.formatter.format(list, { omitRoomId: true, bundle: true });
    const [plain, bundled] = await Promise.all([
      this.formatter.format(
        list.filter((e) => !targets.has(e.eventId)),
        { omitRoomId: true, bundle: false },
      ),
      this.formatter.format(related, { omitRoomId: true, bundle: true }),
    ]);
    const byNid = new Map<number, ClientEvent>();
    list.filter((e) => !targets.has(e.eventId)).forEach((e, i) => byNid.set(e.nid, plain[i] as ClientEvent));
    related.forEach((e, i) => byNid.set(e.nid, bundled[i] as ClientEvent));
    return list.map((e) => byNid.get(e.nid) as ClientEvent);
  }
}

/**
 * A copy for one response: the shared object is never changed; `age` is made current and the
 * viewer's transaction ID added where the formatter puts it (after the state fields; events with
 * aggregations, which come after it, are never copied).
 */
function forViewer(event: ClientEvent, now: number, txnId: string | undefined): ClientEvent {
  const unsigned: Record<string, unknown> = { ...event.unsigned, age: Math.max(0, now - event.origin_server_ts) };
  if (txnId !== undefined) unsigned["transaction_id"] = txnId;
  return { ...event, unsigned };
}
