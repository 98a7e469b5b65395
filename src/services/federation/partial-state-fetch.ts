/**
 * The full state before our join of a room joined with partial state, from one of the servers in the
 * room (`GET /state` at our join event): every event checked on receipt (format, signatures,
 * hashes) and against its auth events; the answer must hold the room's create event.
 */
import type { Logger } from "../../logger.js";
import { stateKey, type Pdu, type RoomEvent, type StateKey } from "../../protocol/event.js";
import { isJsonObject, type JsonValue } from "../../protocol/json.js";
import type { EventStore } from "../../storage/event-store.js";
import type { RoomHead } from "../rooms/current-state.js";
import { authoriseTogether } from "./auth-chain-check.js";
import { authEventIdsNeeded, storedLookup } from "./event-checks-auth.js";
import type { EventChecker } from "./event-checks.js";

export interface StateFetchSource {
  request(destination: string, method: "GET", path: string, options?: { timeoutMs?: number }): Promise<JsonValue>;
}

export interface Checked {
  pdu: Pdu;
  event: RoomEvent;
}

export interface FullState {
  /** The state before our join, by key. */
  state: Map<StateKey, string>;
  /** Every accepted event of the answer (state and auth chain), by ID. */
  events: Map<string, Checked>;
}

/** /state of a large room is one large answer. */
const STATE_TIMEOUT_MS = 120_000;

/** GET /state at our join: the state before it, with the auth chain, checked. */
export async function fetchStateBeforeJoin(
  source: StateFetchSource,
  checker: EventChecker,
  events: EventStore,
  log: Logger,
  server: string,
  head: RoomHead,
  joinEventId: string,
): Promise<FullState> {
  const roomId = head.room.roomId;
  const answer = await source.request(server, "GET", `/_matrix/federation/v1/state/${encodeURIComponent(roomId)}?event_id=${encodeURIComponent(joinEventId)}`, { timeoutMs: STATE_TIMEOUT_MS });
  if (!isJsonObject(answer) || !Array.isArray(answer["pdus"]) || !Array.isArray(answer["auth_chain"])) throw new Error("invalid /state answer");
  const checked: Checked[] = [];
  const stateIds = new Set<string>();
  for (const [list, isState] of [[answer["pdus"], true], [answer["auth_chain"], false]] as const) {
    for (const raw of list) {
      const result = await checker.check(raw, head.version);
      if (!result.ok || result.event.room_id !== roomId) continue;
      checked.push({ pdu: result.pdu, event: result.event });
      if (isState) stateIds.add(result.event.event_id);
    }
  }
  const known = await storedLookup(events, head.version, checked.flatMap((c) => authEventIdsNeeded(head.version, c.event)));
  const { accepted, refused } = authoriseTogether(head.version, checked, known);
  if (refused.length > 0) log.info({ roomId, server, refused: refused.length }, "events of a /state answer refused by the auth rules");
  const state = new Map<StateKey, string>();
  for (const id of stateIds) {
    const event = accepted.get(id)?.event;
    if (event?.state_key !== undefined) state.set(stateKey(event.type, event.state_key), id);
  }
  if (!state.has(stateKey("m.room.create", ""))) throw new Error("the /state answer has no create event");
  return { state, events: accepted };
}
