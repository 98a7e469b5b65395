/**
 * Ignoring users (client-server API "Ignoring Users"): the `m.ignored_user_list` account data decides
 * which senders' non-state events a user no longer receives (sync timelines, /messages, /context,
 * /event) and whose invites /sync leaves out. State events of ignored users are still sent.
 *
 * A change to the list takes effect from the next request on, as in Synapse: the new list reaches the
 * client as account data on its next /sync; events already delivered are not withdrawn, and events
 * missed while a user was ignored are not re-sent afterwards. A client wanting a clean view makes a
 * fresh /sync without `since`, which is computed with the new list (what the spec tells clients to do).
 *
 * Lists are cached per user and dropped when the notifier reports an account-data change for that
 * user, from this process or another.
 */
import type { Notifier } from "../../notifier/notifier.js";
import type { AccountDataStore } from "../../storage/account-data-store.js";
import type { Executor } from "../../storage/executor.js";
import type { StoredEvent } from "../../storage/event-store.js";
import type { SyncContext, SyncContributor, SyncResponse } from "../sync/sync-types.js";
import { IGNORED_USER_LIST } from "./account-data-service.js";

const EMPTY: ReadonlySet<string> = new Set();

/** The users an `m.ignored_user_list` content names; a malformed list ignores no one (as Synapse). */
function ignoredSet(content: Record<string, unknown> | undefined): ReadonlySet<string> {
  const map = content?.["ignored_users"];
  return map !== null && typeof map === "object" && !Array.isArray(map) && Object.keys(map).length > 0 ? new Set(Object.keys(map)) : EMPTY;
}

export class IgnoredUsers {
  private readonly cache = new Map<string, ReadonlySet<string>>();
  /** Bumped per user on every change, so a read that raced a change is not cached. */
  private readonly generations = new Map<string, number>();

  constructor(
    private readonly store: AccountDataStore,
    notifier: Notifier,
  ) {
    notifier.onNotification((notification) => {
      if (notification.stream !== "account_data") return;
      for (const userId of notification.userIds ?? []) {
        this.cache.delete(userId);
        this.generations.set(userId, (this.generations.get(userId) ?? 0) + 1);
      }
    });
  }

  /** The users `userId` ignores. */
  async of(userId: string): Promise<ReadonlySet<string>> {
    const cached = this.cache.get(userId);
    if (cached) return cached;
    const generation = this.generations.get(userId) ?? 0;
    const ignored = ignoredSet(await this.store.get(userId, "", IGNORED_USER_LIST));
    if ((this.generations.get(userId) ?? 0) === generation) this.cache.set(userId, ignored);
    return ignored;
  }

  /**
   * Those of `userIds` who ignore `sender` (push evaluation, for every recipient of every event): the
   * lists not cached yet are read in one query with `executor`, which may be an open transaction.
   */
  readonly ignoringSender = async (executor: Executor, userIds: readonly string[], sender: string): Promise<ReadonlySet<string>> => {
    const missing = userIds.filter((userId) => !this.cache.has(userId));
    const read = new Map<string, ReadonlySet<string>>();
    if (missing.length > 0) {
      const generations = missing.map((userId) => this.generations.get(userId) ?? 0);
      const lists = await this.store.globalOfMany(executor, missing, IGNORED_USER_LIST);
      missing.forEach((userId, i) => {
        const ignored = ignoredSet(lists.get(userId));
        read.set(userId, ignored);
        if ((this.generations.get(userId) ?? 0) === generations[i]) this.cache.set(userId, ignored);
      });
    }
    return new Set(userIds.filter((userId) => (this.cache.get(userId) ?? read.get(userId))?.has(sender)));
  };

  /** For VisibilityService.addExclusion: drops non-state events whose sender the viewer ignores. */
  readonly exclusion = async (userId: string, events: readonly StoredEvent[]): Promise<StoredEvent[]> => {
    const ignored = await this.of(userId);
    if (ignored.size === 0) return [...events];
    return events.filter((e) => typeof e.pdu.state_key === "string" || !ignored.has(e.pdu.sender));
  };

  /** Leaves out of /sync the invites sent by users the syncing user ignores. */
  syncContributor(): SyncContributor {
    return {
      global: async (context: SyncContext, response: SyncResponse) => {
        const invites = response.rooms.invite;
        if (Object.keys(invites).length === 0) return;
        const ignored = await this.of(context.requester.userId);
        if (ignored.size === 0) return;
        for (const [roomId, invite] of Object.entries(invites)) {
          const inviter = invite.invite_state.events.find(
            (e) => e["type"] === "m.room.member" && e["state_key"] === context.requester.userId && (e["content"] as Record<string, unknown> | undefined)?.["membership"] === "invite",
          )?.["sender"];
          if (typeof inviter === "string" && ignored.has(inviter)) delete invites[roomId];
        }
      },
    };
  }
}
