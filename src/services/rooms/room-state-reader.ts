/** Reads a room's current state events through the event cache: contents, power levels, membership. */
import { authStateFromMap, type AuthState } from "../../protocol/auth/auth-state.js";
import { splitStateKey, stateKey, type RoomEvent, type StateKey } from "../../protocol/event.js";
import type { JsonObject } from "../../protocol/json.js";
import { readPowerLevels, userPowerLevel, type PowerLevels } from "../../protocol/power-levels.js";
import type { EventStore, StoredEvent } from "../../storage/event-store.js";
import type { RoomHead } from "./current-state.js";
import { roomEventOf } from "./room-event-view.js";

export class RoomStateReader {
  constructor(private readonly events: EventStore) {}

  async event(head: RoomHead, type: string, key = ""): Promise<StoredEvent | undefined> {
    const id = head.state.get(stateKey(type, key));
    return id === undefined ? undefined : this.events.getById(id);
  }

  async content(head: RoomHead, type: string, key = ""): Promise<JsonObject | undefined> {
    return (await this.event(head, type, key))?.pdu.content;
  }

  async membership(head: RoomHead, userId: string): Promise<string | undefined> {
    const content = await this.content(head, "m.room.member", userId);
    return typeof content?.["membership"] === "string" ? content["membership"] : undefined;
  }

  /** An AuthState over the given keys (plus the create event and power levels) of the current state. */
  async authState(head: RoomHead, keys: readonly [string, string][] = []): Promise<AuthState> {
    const wanted = new Set<StateKey>([stateKey("m.room.create", ""), stateKey("m.room.power_levels", ""), ...keys.map(([t, k]) => stateKey(t, k))]);
    const ids = [...wanted].map((k) => head.state.get(k)).filter((id): id is string => id !== undefined);
    const found = await this.events.getByIds(ids);
    const map = new Map<StateKey, RoomEvent>();
    for (const stored of found.values()) {
      const event = roomEventOf(stored, head.version);
      map.set(stateKey(event.type, event.state_key ?? ""), event);
    }
    return authStateFromMap(map);
  }

  async powerLevels(head: RoomHead): Promise<PowerLevels> {
    return readPowerLevels(head.version, await this.content(head, "m.room.power_levels"));
  }

  async userPower(head: RoomHead, userId: string): Promise<number> {
    return userPowerLevel(head.version, userId, await this.authState(head));
  }

  /** Every current state event, optionally only some types. */
  async stateEvents(head: RoomHead, types?: ReadonlySet<string>): Promise<StoredEvent[]> {
    const ids: string[] = [];
    for (const [key, id] of head.state) {
      if (!types || types.has(splitStateKey(key)[0])) ids.push(id);
    }
    return [...(await this.events.getByIds(ids)).values()];
  }
}
