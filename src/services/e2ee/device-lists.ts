/**
 * Device-list tracking (client-server API "Tracking the device list for a user"): every change of a
 * user's devices or cross-signing keys takes a position on the device_lists stream and wakes those
 * who share a room with them; `changes` answers, for /sync and /keys/changes, whose device lists a
 * viewer must re-fetch (`changed`) or may forget (`left`) between two sync positions.
 *
 * Like Synapse, sharing is counted over all joined rooms, not only encrypted ones: the spec allows a
 * superset in `changed`, and a user who joins an encrypted room later is then already tracked.
 */
import type { Notifier, StreamPositions } from "../../notifier/notifier.js";
import type { Db, Tx } from "../../storage/db.js";
import type { JsonObject } from "../../protocol/json.js";
import type { DeviceListStore, MembershipChange } from "../../storage/device-list-store.js";
import type { MembershipRecord } from "../../storage/room-store.js";
import type { StreamIdGenerator } from "../../storage/stream-ids.js";
import { clampToNow, decodeSyncToken } from "../sync/tokens.js";
import { SHARED_CHANGE_SCAN_MAX, type PositionMemo } from "../sync/position-memo.js";

/** What changed, as other servers are told: a device (its keys, or its deletion) or the cross-signing keys. */
export interface ChangeDetail {
  onlyFor?: string | undefined;
  deviceId?: string;
  deleted?: boolean;
  crossSigning?: boolean;
}

/** Tells other servers sharing a room with a local user of a change (device_list_update and signing_key_update EDUs). */
export interface ChangeAnnouncer {
  announce(tx: Tx, userId: string, change: ChangeDetail, position: number, previous: number): Promise<void>;
}

export interface DeviceListChanges {
  changed: string[];
  left: string[];
}

const DEPARTED = new Set(["leave", "ban"]);

export class DeviceLists {
  private announcer: ChangeAnnouncer | undefined;

  constructor(
    private readonly db: Db,
    private readonly store: DeviceListStore,
    private readonly rooms: { membershipsOf(userId: string): Promise<MembershipRecord[]> },
    private readonly stream: StreamIdGenerator,
    private readonly notifier: Notifier,
    /** Shares reads among the syncs at one events position. */
    private readonly memo: PositionMemo,
  ) {}

  /** Wired by context.ts once federation exists: our users' changes are announced to servers sharing a room. */
  setAnnouncer(announcer: ChangeAnnouncer): void {
    this.announcer = announcer;
  }

  /**
   * Records in `tx` that `userId`'s devices or keys changed (`change` says which, for other servers).
   * With `onlyFor`, only that user hears of it (a signature of `userId`'s master key by their
   * user-signing key is visible to them alone).
   */
  async recordChange(tx: Tx, userId: string, change: ChangeDetail = {}): Promise<void> {
    const onlyFor = change.onlyFor;
    const position = this.stream.allocate(tx);
    const previous = this.announcer && onlyFor === undefined ? await this.store.latestChangeOf(userId, tx.db) : 0;
    await this.store.addChange(tx.db, position, userId, onlyFor ?? null);
    if (this.announcer && onlyFor === undefined) await this.announcer.announce(tx, userId, change, position, previous);
    const roomIds = onlyFor === undefined ? await this.store.joinedRoomIds(userId, tx.db) : [];
    const userIds = onlyFor === undefined ? [userId] : [onlyFor];
    tx.onCommit(() => this.notifier.notify({ stream: "device_lists", position: this.stream.current, userIds, roomIds }));
  }

  /**
   * An `m.device_list_update` or `m.signing_key_update` EDU from `origin` about one of its users: local
   * users who share a room with them see them in `changed` and fetch their keys again.
   */
  async recordRemoteChange(origin: string, content: JsonObject): Promise<void> {
    const userId = content["user_id"];
    if (typeof userId !== "string" || userId.slice(userId.indexOf(":") + 1) !== origin) throw new Error("the user is not one of the origin's");
    await this.db.transaction((tx) => this.recordChange(tx, userId));
  }

  /** GET /keys/changes: the same answer as /sync's device_lists between two sync tokens' positions. */
  async changesBetween(viewer: string, fromToken: string, toToken: string): Promise<DeviceListChanges> {
    const now = this.notifier.positions();
    const from = clampToNow(decodeSyncToken(fromToken), now);
    const to = clampToNow(decodeSyncToken(toToken), now);
    return this.changes(viewer, await this.rooms.membershipsOf(viewer), from, to);
  }

  /**
   * Memberships changed in (after, upTo] in the viewer's rooms. The members one event wakes all ask
   * about the same short range: it is read once for all of them (position-memo.ts), then filtered.
   */
  private async membershipChanges(memberships: readonly MembershipRecord[], after: number, upTo: number): Promise<MembershipChange[]> {
    if (upTo - after > SHARED_CHANGE_SCAN_MAX) return this.store.membershipChangesBetween(memberships.map((m) => m.roomNid), after, upTo);
    const all = await this.memo.get(`membership-changes:${after}:${upTo}`, () => this.store.membershipChangesBetween("all", after, upTo));
    if (all.length === 0) return all;
    const mine = new Set(memberships.map((m) => m.roomNid));
    return all.filter((change) => mine.has(change.roomNid));
  }

  /** Whose device lists `viewer` must re-fetch or may forget between `since` and `now`. */
  async changes(viewer: string, memberships: readonly MembershipRecord[], since: StreamPositions, now: StreamPositions): Promise<DeviceListChanges> {
    const changed = new Set<string>();
    const maybeChanged = new Set<string>();
    const maybeLeft = new Set<string>();

    // Devices or keys that changed: the viewer's own, those of users sharing a room, and changes meant for the viewer.
    const deviceChanges = await this.store.changesBetween(since.device_lists, now.device_lists);
    for (const { userId, forUserId } of deviceChanges) {
      if (forUserId === viewer || (forUserId === null && userId === viewer)) changed.add(userId);
      else if (forUserId === null) maybeChanged.add(userId);
    }

    // Membership changes in the viewer's rooms: someone joined (now shares a room) or left (may share none).
    if (since.events < now.events) {
      for (const change of await this.membershipChanges(memberships, since.events, now.events)) {
        if (change.userId === viewer) continue;
        if (change.membership === "join") maybeChanged.add(change.userId);
        else if (DEPARTED.has(change.membership)) maybeLeft.add(change.userId);
      }
      // The viewer's own joins and departures concern everyone in those rooms.
      const joinedNow = memberships.filter((m) => m.streamOrdering > since.events && m.streamOrdering <= now.events);
      if (joinedNow.length > 0) {
        const joinedRooms = joinedNow.filter((m) => m.membership === "join").map((m) => m.roomNid);
        const leftRooms = joinedNow.filter((m) => DEPARTED.has(m.membership)).map((m) => m.roomNid);
        for (const userId of await this.store.joinedMembers(joinedRooms)) if (userId !== viewer) maybeChanged.add(userId);
        for (const userId of await this.store.joinedMembers(leftRooms)) if (userId !== viewer) maybeLeft.add(userId);
      }
    }

    // The usual case for a long-poll woken by a message: nobody else's devices or memberships moved.
    if (maybeChanged.size === 0 && maybeLeft.size === 0) return { changed: [...changed].sort(), left: [] };
    const candidates = [...new Set([...maybeChanged, ...maybeLeft])].filter((u) => !changed.has(u));
    const sharing = candidates.length === 0 ? new Set<string>() : await this.store.sharingARoomWith(viewer, candidates);
    for (const userId of maybeChanged) if (sharing.has(userId)) changed.add(userId);
    const left = [...maybeLeft].filter((userId) => !sharing.has(userId) && !changed.has(userId));
    return { changed: [...changed].sort(), left: left.sort() };
  }
}
