/**
 * Which member events each device was already sent, for lazy-loading members (client-server API
 * "Lazy-loading room members"): with `lazy_load_members`, a sync carries the member events of the
 * timeline's senders, except those this device already has, unless `include_redundant_members`.
 * The spec leaves the bookkeeping to the server; as Synapse, it is a per-device in-memory cache, reset
 * by an initial sync (the client starts over). Losing an entry (eviction, restart) only means a
 * member event is sent again, which the spec allows.
 */
import { lruCache } from "../../lru.js";

type RoomMembers = Map<string, string>; // member user ID -> member event ID sent

/** Rooms remembered per device (as Synapse's per-device cache); the least recently written go first. */
const ROOMS_PER_DEVICE = 100;

export class LazyMembersSent {
  private readonly devices = lruCache<string, Map<string, RoomMembers>>(10_000);

  private device(userId: string, deviceId: string | undefined): Map<string, RoomMembers> {
    const key = `${userId}|${deviceId ?? ""}`;
    let rooms = this.devices.get(key);
    if (!rooms) {
      rooms = new Map();
      this.devices.set(key, rooms);
    }
    return rooms;
  }

  /** An initial sync: the client holds nothing any more. */
  reset(userId: string, deviceId: string | undefined): void {
    this.devices.delete(`${userId}|${deviceId ?? ""}`);
  }

  /** Whether this member event was already sent to the device in this room. */
  alreadySent(userId: string, deviceId: string | undefined, roomId: string, memberId: string, eventId: string): boolean {
    return this.devices.get(`${userId}|${deviceId ?? ""}`)?.get(roomId)?.get(memberId) === eventId;
  }

  /** Records member events the device is being sent (in state or in the timeline). */
  record(userId: string, deviceId: string | undefined, roomId: string, members: Iterable<readonly [string, string]>): void {
    const rooms = this.device(userId, deviceId);
    let room = rooms.get(roomId);
    for (const [memberId, eventId] of members) {
      if (!room) {
        room = new Map();
        rooms.set(roomId, room);
        if (rooms.size > ROOMS_PER_DEVICE) rooms.delete(rooms.keys().next().value as string);
      }
      room.set(memberId, eventId);
    }
  }
}
