/**
 * Test-only builder of rooms and events for the auth-rule tables: one creator (alice, a.example), and
 * helpers that produce the events a row's state and event need, shaped as each room version has them
 * (v1–2 event IDs carry a server name; v1–10 create events name the creator; v12 room IDs are the
 * create event's ID).
 */
import type { RoomEvent } from "../../../src/protocol/event.js";
import type { JsonObject } from "../../../src/protocol/json.js";
import { getRoomVersion, type RoomVersion } from "../../../src/protocol/room-versions.js";

export const ALICE = "@alice:a.example"; // creator
export const DAVE = "@dave:a.example"; // same server as the creator
export const BOB = "@bob:b.example";
export const CAROL = "@carol:c.example";
export const ERIN = "@erin:e.example";

export const ALL_VERSIONS = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"];

/** The versions from `first` to `last` inclusive (test shorthand only; the code under test uses flags). */
export function versions(first: number, last = 12): string[] {
  return ALL_VERSIONS.filter((id) => Number(id) >= first && Number(id) <= last);
}

function serverOf(id: string): string {
  return id.slice(id.indexOf(":") + 1);
}

export interface EventOptions {
  stateKey?: string;
  prevEvents?: string[];
  eventId?: string;
  redacts?: string;
  roomId?: string;
}

export class Room {
  readonly version: RoomVersion;
  readonly roomId: string;
  readonly create: RoomEvent;
  private counter = 0;

  constructor(versionId: string, createContent: JsonObject = {}, createSender = ALICE) {
    this.version = getRoomVersion(versionId);
    const content: JsonObject = { room_version: versionId, ...createContent };
    if (!this.version.implicitCreator && !("creator" in createContent)) content["creator"] = createSender;
    if (this.version.roomIdFromCreateEvent) {
      const hash = `$createhash${versionId}`;
      this.roomId = `!${hash.slice(1)}`;
      this.create = this.raw("m.room.create", createSender, content, { stateKey: "", eventId: hash });
    } else {
      this.roomId = `!room:${serverOf(createSender)}`;
      this.create = this.raw("m.room.create", createSender, content, { stateKey: "" });
    }
  }

  nextId(sender: string): string {
    this.counter += 1;
    return this.version.eventIdFormat === "v1" ? `$e${this.counter}:${serverOf(sender)}` : `$e${this.counter}`;
  }

  /** Any event; prev_events defaults to some other event so that first-join shortcuts do not apply. */
  raw(type: string, sender: string, content: JsonObject, options: EventOptions = {}): RoomEvent {
    const event: RoomEvent = {
      event_id: options.eventId ?? this.nextId(sender),
      room_id: options.roomId ?? this.roomId,
      type,
      sender,
      content,
      origin_server_ts: 1_700_000_000_000 + this.counter,
      prev_events: options.prevEvents ?? (type === "m.room.create" ? [] : ["$earlier"]),
      auth_events: [],
      ...(options.stateKey === undefined ? {} : { state_key: options.stateKey }),
      ...(options.redacts === undefined ? {} : { redacts: options.redacts }),
    };
    return event;
  }

  state(type: string, sender: string, content: JsonObject, stateKey = "", options: EventOptions = {}): RoomEvent {
    return this.raw(type, sender, content, { ...options, stateKey });
  }

  message(sender: string, content: JsonObject = { msgtype: "m.text", body: "hi" }): RoomEvent {
    return this.raw("m.room.message", sender, content);
  }

  /** A member event: `user`'s membership, sent by `sender` (default: the user). */
  member(user: string, membership: string, extra: JsonObject = {}, sender = user, options: EventOptions = {}): RoomEvent {
    return this.state("m.room.member", sender, { membership, ...extra }, user, options);
  }

  powerLevels(content: JsonObject, sender = ALICE): RoomEvent {
    return this.state("m.room.power_levels", sender, content);
  }

  joinRules(rule: string, extra: JsonObject = {}): RoomEvent {
    return this.state("m.room.join_rules", ALICE, { join_rule: rule, ...extra });
  }

  /**
   * The usual state: create, alice joined, power levels giving alice 100 (v12: alice is a creator and
   * may not be listed) plus `users`, the given join rule, and the given memberships.
   */
  standard(options: { joinRule?: string; users?: JsonObject; levels?: JsonObject; members?: Record<string, string> } = {}): RoomEvent[] {
    const users: JsonObject = this.version.privilegedCreators ? {} : { [ALICE]: 100 };
    Object.assign(users, options.users ?? {});
    const events = [this.create, this.member(ALICE, "join"), this.powerLevels({ users, ...(options.levels ?? {}) })];
    if (options.joinRule !== undefined) events.push(this.joinRules(options.joinRule));
    for (const [user, membership] of Object.entries(options.members ?? {})) events.push(this.member(user, membership));
    return events;
  }
}
