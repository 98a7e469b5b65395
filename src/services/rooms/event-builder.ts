/**
 * Builds this server's events: prev_events from the forward extremities, auth_events chosen from the
 * current state by the version's auth-event selection, depth, the format of the room version (v1–2
 * event IDs and hash-paired references, v11+ `redacts` in content, v12 create events without a room ID),
 * then the content hash and our signature.
 */
import { randomBytes } from "node:crypto";
import type { Config } from "../../config/schema.js";
import type { Secrets } from "../../config/secrets.js";
import { authEventKeys } from "../../protocol/auth/auth-event-selection.js";
import { stateKey, type Pdu, type RoomEvent } from "../../protocol/event.js";
import { hashAndSignNewEvent } from "../../protocol/event-signing.js";
import { eventIdFromReferenceHash } from "../../protocol/event-id.js";
import type { JsonObject } from "../../protocol/json.js";
import { toRoomEvent } from "../../protocol/pdu-format.js";
import type { RoomVersion } from "../../protocol/room-versions.js";
import type { StoredEvent } from "../../storage/event-store.js";

export interface EventDraft {
  type: string;
  sender: string;
  content: JsonObject;
  stateKey?: string;
  redacts?: string;
  originServerTs: number;
}

export interface BuildContext {
  version: RoomVersion;
  /** Absent only for a v12 create event. */
  roomId?: string;
  /** Current state the auth events are chosen from. */
  state: ReadonlyMap<string, string>;
  /** The events prev_events point at, with their depth (and hashes, for v1–2 references). */
  prevEvents: readonly StoredEvent[];
  /** Auth events by ID (for their hashes in v1–2 references). */
  authEvents: ReadonlyMap<string, StoredEvent>;
}

export interface BuiltEvent {
  pdu: Pdu;
  event: RoomEvent;
  /** Canonical JSON of the PDU (without `unsigned`), as stored. */
  json: string;
}

export class EventBuilder {
  constructor(
    private readonly config: Config,
    private readonly secrets: Secrets,
  ) {}

  /** The IDs of the state events a new event must cite, from the current state. */
  authEventIds(version: RoomVersion, draft: EventDraft, state: ReadonlyMap<string, string>): string[] {
    const ids: string[] = [];
    for (const [type, key] of authEventKeys(version, { type: draft.type, sender: draft.sender, content: draft.content, ...(draft.stateKey !== undefined ? { state_key: draft.stateKey } : {}) })) {
      const id = state.get(stateKey(type, key));
      if (id !== undefined && !ids.includes(id)) ids.push(id);
    }
    return ids;
  }

  build(draft: EventDraft, context: BuildContext, authEventIds: readonly string[]): BuiltEvent {
    const { version } = context;
    const depth = Math.min(Number.MAX_SAFE_INTEGER, Math.max(0, ...context.prevEvents.map((e) => e.depth)) + 1);
    const reference = (event: StoredEvent): string | [string, { sha256: string }] =>
      version.eventIdFormat === "v1" ? [event.eventId, { sha256: event.pdu.hashes.sha256 }] : event.eventId;
    const pdu: Record<string, unknown> = {
      type: draft.type,
      sender: draft.sender,
      content: draft.content,
      origin_server_ts: draft.originServerTs,
      depth,
      prev_events: context.prevEvents.map(reference),
      auth_events: authEventIds.map((id) => reference(context.authEvents.get(id) as StoredEvent)),
    };
    if (context.roomId !== undefined) pdu["room_id"] = context.roomId;
    if (draft.stateKey !== undefined) pdu["state_key"] = draft.stateKey;
    if (draft.redacts !== undefined) {
      if (version.redactsInContent) pdu["content"] = { ...draft.content, redacts: draft.redacts };
      else pdu["redacts"] = draft.redacts;
    }
    if (version.eventIdFormat === "v1") {
      pdu["event_id"] = `$${randomBytes(12).toString("base64url")}:${this.config.server_name}`;
    }
    const { signed, referenceHash, json } = hashAndSignNewEvent(pdu, version, this.config.server_name, this.secrets.signingKey);
    const eventId = version.eventIdFormat === "v1" ? (signed["event_id"] as string) : eventIdFromReferenceHash(referenceHash, version);
    return { pdu: signed as unknown as Pdu, event: toRoomEvent(signed as unknown as Pdu, version, eventId), json };
  }
}
