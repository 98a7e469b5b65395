/**
 * Asking another server about a room's past (server-server API "Backfilling and retrieving missing
 * events", "Retrieving events", "Event authorisation"): /backfill, /event, /event_auth and /state_ids.
 * Every PDU of an answer goes through the checks of receipt (format, signatures, hashes); PDUs that
 * fail them, or belong to another room, are dropped here. Failed requests give empty answers: the
 * caller tries another server or leaves the gap for the next pagination.
 */
import type { Logger } from "../../logger.js";
import type { Pdu, RoomEvent } from "../../protocol/event.js";
import { isJsonObject, type JsonValue } from "../../protocol/json.js";
import type { RoomVersion } from "../../protocol/room-versions.js";
import type { EventChecker } from "./event-checks.js";

/** What these requests need of the federation client. */
export interface HistorySource {
  request(destination: string, method: "GET", path: string, options?: { timeoutMs?: number }): Promise<JsonValue>;
}

export interface CheckedEvent {
  readonly pdu: Pdu;
  readonly event: RoomEvent;
}

const TIMEOUT_MS = 30_000;

export class RemoteHistory {
  constructor(
    private readonly client: HistorySource,
    private readonly checker: EventChecker,
    private readonly log: Logger,
  ) {}

  /** GET /backfill: the events before (and including) `from`, checked. */
  async backfill(destination: string, roomId: string, version: RoomVersion, from: readonly string[], limit: number): Promise<CheckedEvent[]> {
    const query = [...from.map((id) => `v=${encodeURIComponent(id)}`), `limit=${limit}`].join("&");
    const answer = await this.get(destination, `/_matrix/federation/v1/backfill/${encodeURIComponent(roomId)}?${query}`);
    // A server sending more than asked for gets only what was asked for looked at.
    return this.checkAll(destination, roomId, version, listOf(answer, "pdus").slice(0, limit));
  }

  /** GET /event: one event, checked, or undefined. */
  async event(destination: string, roomId: string, version: RoomVersion, eventId: string): Promise<CheckedEvent | undefined> {
    const answer = await this.get(destination, `/_matrix/federation/v1/event/${encodeURIComponent(eventId)}`);
    return (await this.checkAll(destination, roomId, version, listOf(answer, "pdus"))).find((e) => e.event.event_id === eventId);
  }

  /** GET /event_auth: the auth chain of an event, checked. */
  async authChain(destination: string, roomId: string, version: RoomVersion, eventId: string): Promise<CheckedEvent[]> {
    const answer = await this.get(destination, `/_matrix/federation/v1/event_auth/${encodeURIComponent(roomId)}/${encodeURIComponent(eventId)}`);
    return this.checkAll(destination, roomId, version, listOf(answer, "auth_chain"));
  }

  /** GET /state_ids: the IDs of the state before an event, or undefined when the server will not say. */
  async stateIdsBefore(destination: string, roomId: string, eventId: string): Promise<string[] | undefined> {
    const answer = await this.get(destination, `/_matrix/federation/v1/state_ids/${encodeURIComponent(roomId)}?event_id=${encodeURIComponent(eventId)}`);
    if (!isJsonObject(answer) || !Array.isArray(answer["pdu_ids"])) return undefined;
    const ids = answer["pdu_ids"].filter((id): id is string => typeof id === "string");
    return ids.length === answer["pdu_ids"].length ? ids : undefined;
  }

  private async get(destination: string, path: string): Promise<JsonValue | undefined> {
    try {
      return await this.client.request(destination, "GET", path, { timeoutMs: TIMEOUT_MS });
    } catch (error) {
      this.log.info({ destination, path: path.split("?")[0], error: (error as Error).message }, "history request failed");
      return undefined;
    }
  }

  private async checkAll(destination: string, roomId: string, version: RoomVersion, raw: readonly unknown[]): Promise<CheckedEvent[]> {
    const out: CheckedEvent[] = [];
    for (const item of raw) {
      const checked = await this.checker.check(item, version);
      if (!checked.ok) {
        this.log.info({ destination, roomId, reason: checked.reason }, "event from history request dropped");
        continue;
      }
      if (checked.event.room_id !== roomId) continue;
      out.push({ pdu: checked.pdu, event: checked.event });
    }
    return out;
  }
}

function listOf(answer: JsonValue | undefined, key: string): unknown[] {
  return isJsonObject(answer) && Array.isArray(answer[key]) ? answer[key] : [];
}
