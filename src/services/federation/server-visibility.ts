/**
 * History visibility for servers (server-server API "Backfilling", client-server API "History
 * visibility"): what another server may read of a room's past. The spec only says servers must
 * respect history visibility; we follow Synapse (`filter_events_for_server`): under
 * `world_readable` and `shared` every event is visible; under `joined` an event is visible when a user
 * of that server was joined at it, under `invited` also when one was invited. Events the server may
 * not see are not dropped but sent redacted, so that its copy of the room graph has no holes (as
 * Synapse). Events that were redacted here are always sent redacted.
 */
import { splitStateKey, stateKey, type Pdu } from "../../protocol/event.js";
import { domainOfId } from "../../protocol/identifiers.js";
import { redactEvent } from "../../protocol/redaction.js";
import type { RoomVersion } from "../../protocol/room-versions.js";
import type { EventStore, StoredEvent } from "../../storage/event-store.js";
import type { StateStore } from "../../storage/state-store.js";
import { parseHistoryVisibility, type HistoryVisibility } from "../rooms/visibility.js";

export class ServerVisibility {
  constructor(
    private readonly events: EventStore,
    private readonly states: StateStore,
  ) {}

  /** Whether `server` may read `event` in full. Events without state of ours (outliers) are not. */
  async mayRead(server: string, event: StoredEvent): Promise<boolean> {
    return (await this.judge(server, [event]))[0] as boolean;
  }

  /** The events as `server` may have them: in full, or redacted. */
  async forServer(server: string, version: RoomVersion, list: readonly StoredEvent[]): Promise<Pdu[]> {
    const verdicts = await this.judge(server, list);
    return list.map((event, i) => (verdicts[i] && event.redactedByNid === null ? event.pdu : redactEvent(event.pdu, version)));
  }

  private async judge(server: string, list: readonly StoredEvent[]): Promise<boolean[]> {
    // Events between two state changes share a snapshot: each is read once.
    const bySnapshot = new Map<number, { visibility: HistoryVisibility; membership: Set<string> }>();
    const out: boolean[] = [];
    for (const event of list) {
      if (event.stateSnapshotNid === null) {
        out.push(false);
        continue;
      }
      let atEvent = bySnapshot.get(event.stateSnapshotNid);
      if (!atEvent) {
        atEvent = await this.stateAt(server, event.stateSnapshotNid);
        bySnapshot.set(event.stateSnapshotNid, atEvent);
      }
      let visibility = atEvent.visibility;
      // The snapshot is the state after the event: a visibility change is judged by the one before it,
      // as for clients (visibility.ts).
      if (event.pdu.type === "m.room.history_visibility" && event.pdu.state_key === "") {
        const prev = event.prevStateEventNid === null ? undefined : (await this.events.getByNids([event.prevStateEventNid])).get(event.prevStateEventNid);
        visibility = prev ? parseHistoryVisibility(prev.pdu.content) : "shared";
      }
      out.push(visibleTo(visibility, atEvent.membership));
    }
    return out;
  }

  /** The history visibility and the memberships of `server`'s users in one snapshot. */
  private async stateAt(server: string, snapshotNid: number): Promise<{ visibility: HistoryVisibility; membership: Set<string> }> {
    const state = await this.states.loadSnapshot(snapshotNid);
    const keys = await this.states.stateKeysOf([...state.keys()]);
    const wanted: number[] = [];
    let visibilityNid: number | undefined;
    for (const [keyNid, eventNid] of state) {
      const key = keys.get(keyNid);
      if (key === undefined) continue;
      if (key === stateKey("m.room.history_visibility", "")) visibilityNid = eventNid;
      const [type, userId] = splitStateKey(key);
      if (type === "m.room.member" && domainOfId(userId) === server) wanted.push(eventNid);
    }
    const found = await this.events.getByNids(visibilityNid === undefined ? wanted : [...wanted, visibilityNid]);
    const membership = new Set<string>();
    for (const nid of wanted) {
      const value = found.get(nid)?.pdu.content["membership"];
      if (typeof value === "string") membership.add(value);
    }
    const visibilityEvent = visibilityNid === undefined ? undefined : found.get(visibilityNid);
    return { visibility: parseHistoryVisibility(visibilityEvent?.pdu.content), membership };
  }
}

function visibleTo(visibility: HistoryVisibility, memberships: ReadonlySet<string>): boolean {
  if (visibility === "world_readable" || visibility === "shared") return true;
  if (memberships.has("join")) return true;
  return visibility === "invited" && memberships.has("invite");
}
