/**
 * What GET /initialSync and GET /rooms/{roomId}/initialSync carry besides rooms (client-server API
 * old_sync): the user's global account data, each room's account data (tags, read markers) and the
 * presence of the user and of those who share a room with them, as an initial /sync would give them
 * (offline users left out, as Synapse does on an initial sync).
 */
import type { StreamPositions } from "../../notifier/notifier.js";
import type { AccountDataStore } from "../../storage/account-data-store.js";
import type { PresenceRow, PresenceStore } from "../../storage/presence-store.js";
import type { Clock } from "../clock.js";
import { presenceContent, type UserPresence } from "../presence/presence-state.js";

/** An account data or presence event as the legacy endpoints return them. */
export type BasicEvent = { type: string; content: Record<string, unknown>; sender?: string };

export interface UserAccountData {
  global: BasicEvent[];
  /** Room account data by room ID. */
  rooms: Map<string, BasicEvent[]>;
}

/** The presence service's live view (what it knows before the database does). */
export interface PresenceView {
  readonly enabled: boolean;
  overlay(row: PresenceRow): Pick<UserPresence, "state" | "statusMsg" | "lastActiveTs" | "currentlyActive">;
}

export class InitialSyncExtras {
  constructor(
    private readonly accountData: AccountDataStore,
    private readonly presenceRows: PresenceStore,
    private readonly presence: PresenceView,
    private readonly clock: Clock,
  ) {}

  /** The user's account data, global and per room, as of `now`. */
  async accountDataOf(userId: string, now: StreamPositions): Promise<UserAccountData> {
    const global = (await this.accountData.changes(userId, "global", undefined, now.account_data)).map((r) => ({ type: r.type, content: r.content }));
    const rooms = new Map<string, BasicEvent[]>();
    for (const record of await this.accountData.changes(userId, "rooms", undefined, now.account_data)) {
      const list = rooms.get(record.roomId) ?? [];
      list.push({ type: record.type, content: record.content });
      rooms.set(record.roomId, list);
    }
    return { global, rooms };
  }

  /** m.presence events of the user and those sharing a room with them who are not offline. */
  async presenceFor(userId: string, now: StreamPositions): Promise<BasicEvent[]> {
    if (!this.presence.enabled) return [];
    const at = this.clock.now();
    const out: BasicEvent[] = [];
    for (const row of await this.presenceRows.visibleTo(userId, undefined, now.presence)) {
      const shown = this.presence.overlay(row);
      if (shown.state === "offline") continue;
      out.push({ type: "m.presence", sender: row.userId, content: presenceContent(shown, at) });
    }
    return out;
  }
}
