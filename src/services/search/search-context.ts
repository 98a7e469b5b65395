/**
 * The context of a search result (`event_context`): visible events just before and after it in the
 * room's topological order, pagination tokens for /messages, and, with `include_profile`, the senders'
 * display names and avatars as the room state had them after the last of those events (as Synapse).
 */
import { stateKey } from "../../protocol/event.js";
import type { EventStore, StoredEvent } from "../../storage/event-store.js";
import type { StateStore } from "../../storage/state-store.js";
import type { EventFormatter, Viewer } from "../rooms/event-formatter.js";
import type { VisibilityService } from "../rooms/visibility.js";
import { encodeTopologicalToken } from "../sync/tokens.js";
import type { SearchResultContext } from "./search-types.js";

export interface ContextRequest {
  before: number;
  after: number;
  includeProfile: boolean;
}

export class SearchContextBuilder {
  constructor(
    private readonly events: EventStore,
    private readonly states: StateStore,
    private readonly visibility: VisibilityService,
    private readonly formatter: EventFormatter,
  ) {}

  /** The context of one result for a viewer whose membership in its room is `membership`. */
  async contextOf(viewer: Viewer, result: StoredEvent, membership: string | undefined, request: ContextRequest): Promise<SearchResultContext> {
    const point = { depth: result.depth, stream: result.streamOrdering as number };
    const pick = async (direction: "b" | "f", n: number): Promise<StoredEvent[]> => {
      if (n === 0) return [];
      const batch = await this.events.roomEventsTopological(result.roomNid, point, direction, n * 2 + 10);
      return (await this.visibility.filter(viewer.userId, batch, membership)).slice(0, n);
    };
    // Both lists run away from the result (events_before newest first), as /context returns them.
    const before = await pick("b", request.before);
    const after = await pick("f", request.after);
    const lastBefore = before[before.length - 1];
    const lastAfter = after[after.length - 1];
    const context: SearchResultContext = {
      start: encodeTopologicalToken(lastBefore ? { depth: lastBefore.depth, stream: lastBefore.streamOrdering as number } : point),
      end: encodeTopologicalToken(lastAfter ? { depth: lastAfter.depth, stream: lastAfter.streamOrdering as number } : point),
      events_before: await this.formatter.format(before, { viewer }),
      events_after: await this.formatter.format(after, { viewer }),
    };
    if (request.includeProfile) {
      const senders = new Set([...before, result, ...after].map((e) => e.pdu.sender));
      context.profile_info = await this.profiles(lastAfter ?? result, senders);
    }
    return context;
  }

  /** Display names and avatars of `senders` in the state after `at`. */
  private async profiles(at: StoredEvent, senders: ReadonlySet<string>): Promise<Record<string, { displayname?: string; avatar_url?: string }>> {
    const out: Record<string, { displayname?: string; avatar_url?: string }> = {};
    if (at.stateSnapshotNid === null) return out;
    const keys = await this.states.stateKeyNids([...senders].map((s) => stateKey("m.room.member", s)));
    const snapshot = await this.states.loadSnapshot(at.stateSnapshotNid);
    const nids = [...keys.values()].map((k) => snapshot.get(k)).filter((n): n is number => n !== undefined);
    for (const member of (await this.events.getByNids(nids)).values()) {
      const userId = member.pdu.state_key;
      if (typeof userId !== "string" || !senders.has(userId)) continue;
      // A redacted member event keeps only the membership (as the formatter would show it).
      const content = member.redactedByNid === null ? member.pdu.content : {};
      out[userId] = {
        ...(typeof content["displayname"] === "string" ? { displayname: content["displayname"] } : {}),
        ...(typeof content["avatar_url"] === "string" ? { avatar_url: content["avatar_url"] } : {}),
      };
    }
    return out;
  }
}
