/**
 * Random rooms for the property tests: a DAG of state events with forks, built by a "server" that
 * picks prev_events, resolves the state before each event, cites auth events from it and keeps the
 * event only if the auth rules allow it there. The choices come from fast-check, so failures shrink.
 */
import fc from "fast-check";
import { authEventKeys } from "../../../src/protocol/auth/auth-event-selection.js";
import { stateKey, type RoomEvent, type StateMap } from "../../../src/protocol/event.js";
import type { JsonObject } from "../../../src/protocol/json.js";
import type { RoomVersion } from "../../../src/protocol/room-versions.js";
import { resolveState } from "../../../src/protocol/state-res/resolve-state.js";
import { MapSource, passesAuth } from "./support.js";

const USERS = ["@alice:a.example", "@bob:b.example", "@carol:c.example", "@dave:d.example"] as const;

export interface Step {
  /** Indices (mod the number of events so far) of up to two prev_events. */
  prevs: [number, number];
  twoPrevs: boolean;
  sender: number;
  action: number;
  target: number;
  level: number;
  ts: number;
}

export const stepArb: fc.Arbitrary<Step> = fc.record({
  prevs: fc.tuple(fc.nat(), fc.nat()),
  twoPrevs: fc.boolean(),
  sender: fc.nat(USERS.length - 1),
  action: fc.nat(7),
  target: fc.nat(USERS.length - 1),
  level: fc.constantFrom(0, 25, 50, 75, 100),
  ts: fc.nat(5),
});

/** Alice created the room: level 100 in the users map, except in v12 where creators may not be listed. */
function creatorLevel(version: RoomVersion, users: Record<string, number>): JsonObject {
  const { [USERS[0]]: _, ...others } = users;
  return version.privilegedCreators ? others : { [USERS[0]]: 100, ...others };
}

export interface RandomRoom {
  source: MapSource;
  events: RoomEvent[];
  after: Map<string, StateMap<string>>;
  leaves: string[];
}

function content(step: Step, version: RoomVersion): { type: string; key: string; content: JsonObject } {
  const target = USERS[step.target] as string;
  switch (step.action) {
    case 0:
      return { type: "m.room.member", key: USERS[step.sender] as string, content: { membership: "join" } };
    case 1:
      return { type: "m.room.member", key: target, content: { membership: "leave" } };
    case 2:
      return { type: "m.room.member", key: target, content: { membership: "ban" } };
    case 3:
      return { type: "m.room.member", key: target, content: { membership: "invite" } };
    case 4:
      return {
        type: "m.room.power_levels",
        key: "",
        content: { users: creatorLevel(version, { [target]: step.level }) },
      };
    case 5:
      return { type: "m.room.join_rules", key: "", content: { join_rule: step.level >= 50 ? "public" : "invite" } };
    default:
      return { type: "m.room.topic", key: "", content: { topic: `topic ${step.level}` } };
  }
}

export function buildRandomRoom(version: RoomVersion, steps: readonly Step[]): RandomRoom {
  const source = new MapSource();
  const events: RoomEvent[] = [];
  const after = new Map<string, StateMap<string>>();
  const alice = USERS[0];
  const createId = "$create-event";
  const roomId = version.roomIdFromCreateEvent ? "!create-event" : "!room:a.example";
  const depthOf = new Map<string, number>();

  const add = (event: RoomEvent, state: StateMap<string>): void => {
    source.add(event);
    events.push(event);
    after.set(event.event_id, state);
    depthOf.set(event.event_id, event.depth ?? 0);
  };
  const build = (n: number, type: string, key: string, sender: string | ((before: StateMap<string>) => string), body: JsonObject, prevs: string[], ts: number): RoomEvent | undefined => {
    const before = prevs.length === 0 ? new Map<string, string>() : resolveState(version, prevs.map((id) => after.get(id) as StateMap<string>), source);
    if (typeof sender !== "string") sender = sender(before);
    const authEvents = authEventKeys(version, { type, state_key: key, sender, content: body })
      .map(([t, k]) => before.get(stateKey(t, k)))
      .filter((id): id is string => id !== undefined);
    const event: RoomEvent = {
      event_id: type === "m.room.create" ? createId : `$e${n}`,
      room_id: roomId,
      type,
      state_key: key,
      sender,
      content: body,
      origin_server_ts: ts,
      depth: Math.max(0, ...prevs.map((id) => depthOf.get(id) ?? 0)) + 1,
      prev_events: prevs,
      auth_events: authEvents,
    };
    if (!passesAuth(version, event, before, new MapSource([...source.events.values(), event]))) return undefined;
    const state = new Map(before);
    state.set(stateKey(type, key), event.event_id);
    add(event, state);
    return event;
  };

  const createContent: JsonObject = version.implicitCreator ? { room_version: version.id } : { creator: alice, room_version: version.id };
  let last = build(0, "m.room.create", "", alice, createContent, [], 0) as RoomEvent;
  last = build(1, "m.room.member", alice, alice, { membership: "join" }, [last.event_id], 1) as RoomEvent;
  last = build(2, "m.room.power_levels", "", alice, { users: creatorLevel(version, { [USERS[1]]: 50 }) }, [last.event_id], 2) as RoomEvent;
  build(3, "m.room.join_rules", "", alice, { join_rule: "public" }, [last.event_id], 3);

  steps.forEach((step, i) => {
    const pick = (k: number): string => (events[k % events.length] as RoomEvent).event_id;
    const prevs = [...new Set(step.twoPrevs ? [pick(step.prevs[0]), pick(step.prevs[1])] : [pick(step.prevs[0])])].sort();
    const { type, key, content: body } = content(step, version);
    // Joins come from anyone; everything else from someone joined in the state before, or most
    // events would simply be refused and the DAG would stay small.
    const sender = (before: StateMap<string>): string => {
      const joined = USERS.filter((user) => {
        const id = before.get(stateKey("m.room.member", user));
        return id !== undefined && source.events.get(id)?.content["membership"] === "join";
      });
      return joined[step.sender % Math.max(1, joined.length)] ?? alice;
    };
    build(i + 4, type, key, step.action === 0 ? (USERS[step.sender] as string) : sender, body, prevs, 10 + step.ts);
  });

  const referenced = new Set(events.flatMap((event) => event.prev_events));
  const leaves = events.map((event) => event.event_id).filter((id) => !referenced.has(id));
  return { source, events, after, leaves };
}
