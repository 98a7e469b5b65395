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
  /** The room's history visibility by state snapshot (a snapshot never changes): the same for every viewer. */
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
    let memberKey: { nid: number | undefined } | undefined;
    const snapshots = new Map<number, { visibility: HistoryVisibility; membership: string | undefined }>();
    const out: StoredEvent[] = [];
    for (const event of list) {
      const snapshotNid = event.stateSnapshotNid;
      if (snapshotNid === null) continue; // outliers are never shown in a timeline
      const pdu = event.pdu;
      const ownMembership = pdu.type === "m.room.member" && pdu.state_key === userId;
      const visibilityChange = pdu.type === "m.room.history_visibility" && pdu.state_key === "";
      const roomVisibility = this.visibilityAt.get(snapshotNid) ?? (await this.loadVisibilityAt(snapshotNid));
      // A member now sees every event of a shared or world-readable room whatever their membership was
      // then (`visible` below): the room's visibility at the event, the same for everyone, decides.
      if (currentMembership === "join" && !ownMembership && !visibilityChange && (roomVisibility === "shared" || roomVisibility === "world_readable")) {
        out.push(event);
        continue;
      }
      let atEvent = snapshots.get(snapshotNid);
      if (!atEvent) {
        const key = stateKey("m.room.member", userId);
        memberKey ??= { nid: (await this.states.stateKeyNids([key])).get(key) };
        const memberNid = memberKey.nid === undefined ? undefined : (await this.states.loadSnapshot(snapshotNid)).get(memberKey.nid);
        const memberEvent = memberNid === undefined ? undefined : (await this.events.getByNids([memberNid])).get(memberNid);
        atEvent = { visibility: roomVisibility, membership: memberEvent?.pdu.content["membership"] as string | undefined };
        snapshots.set(snapshotNid, atEvent);
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
