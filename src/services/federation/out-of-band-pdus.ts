/**
 * Room events that end a local user's invite or knock in a room this server is not in: the resident
 * server sends the user's server the leave or ban that rescinds an invite or refuses a knock (the
 * outbox of the room's server includes the target's server), in a /send transaction. We hold none of
 * the room's state, so the auth rules cannot be checked; the event must be signed, sent by its
 * sender's server, and that server must be one of those the invite or knock named for the room (as
 * Synapse, which takes such events as out-of-band memberships too).
 */
import type { Logger } from "../../logger.js";
import { domainOfId } from "../../protocol/identifiers.js";
import { isJsonObject, type JsonObject } from "../../protocol/json.js";
import { findRoomVersion } from "../../protocol/room-versions.js";
import type { CurrentStateCache } from "../rooms/current-state.js";
import type { EventChecker } from "./event-checks.js";
import type { OutOfBandMemberships } from "./out-of-band-memberships.js";

export class OutOfBandPdus {
  constructor(
    private readonly cache: CurrentStateCache,
    private readonly checker: EventChecker,
    private readonly outOfBand: OutOfBandMemberships,
    private readonly log: Logger,
    private readonly serverName: string,
  ) {}

  /** Takes the PDUs of a transaction that end an out-of-band membership; the answer for those it took. */
  async receive(origin: string, pdus: readonly unknown[]): Promise<Record<string, JsonObject>> {
    const answer: Record<string, JsonObject> = {};
    for (const raw of pdus) {
      try {
        await this.take(origin, raw, answer);
      } catch (error) {
        // One bad event must not fail the transaction; the room event path answers for the rest.
        this.log.warn({ origin, error: (error as Error).message }, "out-of-band membership event failed");
      }
    }
    return answer;
  }

  private async take(origin: string, raw: unknown, answer: Record<string, JsonObject>): Promise<void> {
    if (!isJsonObject(raw) || raw["type"] !== "m.room.member" || typeof raw["room_id"] !== "string" || typeof raw["state_key"] !== "string") return;
    const membership = isJsonObject(raw["content"]) ? raw["content"]["membership"] : undefined;
    if ((membership !== "leave" && membership !== "ban") || domainOfId(raw["state_key"]) !== this.serverName) return;
    if (await this.cache.find(raw["room_id"])) return; // a room of ours: the room event path has it
    const current = await this.outOfBand.get(raw["state_key"], raw["room_id"]);
    const version = current ? findRoomVersion(current.roomVersion) : undefined;
    if (!current || !version || current.membership === "leave") return;
    const checked = await this.checker.check(raw, version);
    if (!checked.ok || !checked.contentHashValid) {
      this.log.info({ origin, roomId: raw["room_id"], reason: checked.ok ? "content hash" : checked.reason }, "out-of-band membership event dropped");
      return;
    }
    const senderServer = domainOfId(checked.event.sender);
    if (senderServer !== origin || !current.servers.includes(senderServer)) return;
    await this.outOfBand.record({ ...current, membership: "leave", eventId: checked.event.event_id, event: checked.pdu as unknown as JsonObject, strippedState: [] });
    answer[checked.event.event_id] = {};
  }
}
