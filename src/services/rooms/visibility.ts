/**
 * History visibility (client-server API "History visibility"): which events a user may see, from the
 * `m.room.history_visibility` and the user's membership at each event. Follows Synapse where the spec
 * leaves room: the user's own membership event is judged by the membership it sets; under `shared`,
 * a user who is not joined now (peeking, or left) sees only what they saw while joined.
 */
import { stateKey } from "../../protocol/event.js";
import type { EventStore, StoredEvent } from "../../storage/event-store.js";
import type { StateStore } from "../../storage/state-store.js";
import { lruCache } from "../../lru.js";

export type HistoryVisibility = "world_readable" | "shared" | "invited" | "joined";

export function parseHistoryVisibility(content: Record<string, unknown> | undefined): HistoryVisibility {
  const value = content?.["history_visibility"];
  return value === "world_readable" || value === "invited" || value === "joined" ? value : "shared";
}

/**
 * Drops events a viewer should not get for reasons other than history visibility (events from users
 * they ignore); returns the kept events in the same order.
 */
export type EventExclusion = (userId: string, events: readonly StoredEvent[]) => Promise<StoredEvent[]>;

const VISIBILITY_KEY = stateKey("m.room.history_visibility", "");

export class VisibilityService {
  private readonly exclusions: EventExclusion[] = [];
  /** History visibility by state snapshot, for the events members of a room see (visibility changes are rare). */
  private readonly visibilityAt = lruCache<number, HistoryVisibility>(20_000);

  constructor(
    private readonly events: EventStore,
    private readonly states: StateStore,
  ) {}

  /** Adds a rule that removes events from what a user sees (sync, /messages, /context, /event). */
  addExclusion(exclusion: EventExclusion): void {
    this.exclusions.push(exclusion);
  }

  /**
   * The events of one room `userId` may see, in the same order. `currentMembership` is the user's
   * membership in the room now (undefined if none).
   */
  async filter(userId: string, list: readonly StoredEvent[], currentMembership: string | undefined): Promise<StoredEvent[]> {
    if (list.length === 0) return [];
    let keys: { visibilityKey: number | undefined; memberKey: number | undefined } | undefined;
    const snapshots = new Map<number, { visibility: HistoryVisibility; membership: string | undefined }>();
    const out: StoredEvent[] = [];
    for (const event of list) {
      if (event.stateSnapshotNid === null) continue; // outliers are never shown in a timeline
      const pdu = event.pdu;
      const ownMembership = pdu.type === "m.room.member" && pdu.state_key === userId;
      const visibilityChange = pdu.type === "m.room.history_visibility" && pdu.state_key === "";
      // A member now sees every event of a shared or world-readable room whatever their membership was
      // then (`visible` below): the room's visibility at the event, the same for everyone, decides.
      if (currentMembership === "join" && !ownMembership && !visibilityChange) {
        const shared = this.visibilityAt.get(event.stateSnapshotNid) ?? (await this.loadVisibilityAt(event.stateSnapshotNid));
        if (shared === "shared" || shared === "world_readable") {
          out.push(event);
          continue;
        }
      }
      if (!keys) {
        const nids = await this.states.stateKeyNids([stateKey("m.room.history_visibility", ""), stateKey("m.room.member", userId)]);
        keys = { visibilityKey: nids.get(stateKey("m.room.history_visibility", "")), memberKey: nids.get(stateKey("m.room.member", userId)) };
      }
      const { visibilityKey, memberKey } = keys;
      let atEvent = snapshots.get(event.stateSnapshotNid);
      if (!atEvent) {
        const state = await this.states.loadSnapshot(event.stateSnapshotNid);
        const ids = [visibilityKey, memberKey].map((k) => (k === undefined ? undefined : state.get(k)));
        const found = await this.events.getByNids(ids.filter((n): n is number => n !== undefined));
        const visibilityEvent = ids[0] !== undefined ? found.get(ids[0]) : undefined;
        const memberEvent = ids[1] !== undefined ? found.get(ids[1]) : undefined;
        atEvent = {
          visibility: parseHistoryVisibility(visibilityEvent?.pdu.content),
          membership: memberEvent?.pdu.content["membership"] as string | undefined,
        };
        snapshots.set(event.stateSnapshotNid, atEvent);
      }
      let visibility = atEvent.visibility;
      let membership = atEvent.membership;
      if (ownMembership) {
        // As Synapse: the user's own membership event counts with the more joined of the membership it
        // sets and the one before it, and leaving after a join or an invite is always visible (otherwise
        // a user would not see the room go when they leave or reject an invite).
        const before = await this.previousMembership(event);
        if (membership === "leave" && (before === "join" || before === "invite")) {
          out.push(event);
          continue;
        }
        if (rank(before) < rank(membership)) membership = before;
      }
      // The snapshot is the state after the event; for a state event, judge by the state before it,
      // except the user's own membership event, which is judged by the membership it sets.
      if (visibilityChange && event.prevStateEventNid !== null) {
        const prev = (await this.events.getByNids([event.prevStateEventNid])).get(event.prevStateEventNid);
        visibility = parseHistoryVisibility(prev?.pdu.content);
      } else if (visibilityChange) {
        visibility = "shared";
      }
      if (this.visible(visibility, membership, currentMembership)) out.push(event);
    }
    let kept = out;
    for (const exclusion of this.exclusions) if (kept.length > 0) kept = await exclusion(userId, kept);
    return kept;
  }

  /** The room's history visibility in a state snapshot (snapshots never change, so it is kept). */
  private async loadVisibilityAt(snapshotNid: number): Promise<HistoryVisibility> {
    const key = (await this.states.stateKeyNids([VISIBILITY_KEY])).get(VISIBILITY_KEY);
    const state = await this.states.loadSnapshot(snapshotNid);
    const eventNid = key === undefined ? undefined : state.get(key);
    const visibilityEvent = eventNid === undefined ? undefined : (await this.events.getByNids([eventNid])).get(eventNid);
    const visibility = parseHistoryVisibility(visibilityEvent?.pdu.content);
    this.visibilityAt.set(snapshotNid, visibility);
    return visibility;
  }

  private async previousMembership(event: StoredEvent): Promise<string | undefined> {
    if (event.prevStateEventNid === null) return undefined;
    const previous = (await this.events.getByNids([event.prevStateEventNid])).get(event.prevStateEventNid);
    const membership = previous?.pdu.content["membership"];
    return typeof membership === "string" ? membership : undefined;
  }

  private visible(visibility: HistoryVisibility, membershipAtEvent: string | undefined, currentMembership: string | undefined): boolean {
    if (visibility === "world_readable") return true;
    if (membershipAtEvent === "join") return true;
    switch (visibility) {
      case "joined":
        return false;
      case "invited":
        return membershipAtEvent === "invite";
      case "shared":
        return currentMembership === "join";
    }
  }
}

/** From most to least joined, as Synapse orders memberships when judging a user's own membership event. */
const MEMBERSHIP_PRIORITY = ["join", "invite", "knock", "leave", "ban"];

function rank(membership: string | undefined): number {
  const index = membership === undefined ? -1 : MEMBERSHIP_PRIORITY.indexOf(membership);
  return index === -1 ? MEMBERSHIP_PRIORITY.indexOf("leave") : index;
}
