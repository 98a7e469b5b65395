/**
 * `PUT /_matrix/federation/v2/send_leave/{roomId}/{eventId}` and `PUT /_matrix/federation/v1/
 * send_knock/{roomId}/{eventId}` (server-server API "Leaving Rooms", "Knocking upon a room"): a signed
 * leave or knock of a user of the sending server. As for send_join, it must be well formed, carry the
 * path's event ID, be signed with a matching content hash and pass the auth rules against its auth
 * events, the state before it and the room's current state (membership-receipt.ts). A knock is answered with
 * the room's stripped state.
 */
import type { JsonObject } from "../../protocol/json.js";
import type { CurrentStateCache } from "../rooms/current-state.js";
import type { EventStore } from "../../storage/event-store.js";
import type { MembershipReceiver } from "./membership-receipt.js";
import { strippedStatePdus } from "./stripped-state.js";

export class SendMembershipService {
  constructor(
    private readonly receiver: MembershipReceiver,
    private readonly cache: CurrentStateCache,
    private readonly events: EventStore,
  ) {}

  /** Checks and persists a remote leave; the v2 answer is an empty object. */
  async sendLeave(origin: string, roomId: string, eventId: string, body: unknown): Promise<Record<string, never>> {
    await this.receiver.receive(origin, roomId, eventId, body, "leave");
    return {};
  }

  /** Checks and persists a remote knock; answers the room's stripped state for the knocker. */
  async sendKnock(origin: string, roomId: string, eventId: string, body: unknown): Promise<{ knock_room_state: JsonObject[] }> {
    await this.receiver.receive(origin, roomId, eventId, body, "knock");
    return { knock_room_state: await strippedStatePdus(this.events, await this.cache.head(roomId)) };
  }
}
