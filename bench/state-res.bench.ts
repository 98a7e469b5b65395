/**
 * State resolution on a large room: 10 000 state events (members, a history of power levels and join
 * rules) and two forks of 200 conflicting state events each. Fork A: the admin promotes a moderator,
 * then 199 members change their display names. Fork B: the moderator kicks 50 members, and 150 members
 * change their display names differently (so A and B conflict on 200 keys, 50 of them power events).
 * Prints the time to resolve the two fork states with state resolution v2 (room version 11), v2.1
 * (room version 12) and v1 (room version 1).
 *
 * Run: node --import tsx bench/state-res.bench.ts
 */
import { stateKey, type RoomEvent, type StateMap } from "../src/protocol/event.js";
import type { JsonObject } from "../src/protocol/json.js";
import { getRoomVersion, type RoomVersion } from "../src/protocol/room-versions.js";
import { resolveState, type EventSource } from "../src/protocol/state-res/resolve-state.js";

const STATE_EVENTS = 10_000;
const FORK_EVENTS = 200;
const RUNS = 21;

interface Room {
  source: EventSource;
  forkA: StateMap<string>;
  forkB: StateMap<string>;
  historyEvents: number;
}

function buildRoom(version: RoomVersion): Room {
  const events = new Map<string, RoomEvent>();
  const state: StateMap<string> = new Map();
  const admin = "@admin:bench.example";
  const moderator = "@user0:bench.example";
  const createId = "$create";
  const roomId = version.roomIdFromCreateEvent ? "!create" : "!bench:bench.example";
  let ts = 0;
  let n = 0;

  const put = (into: StateMap<string>, type: string, key: string, sender: string, content: JsonObject, authKeys: Array<[string, string]>, depth: number): RoomEvent => {
    const auth = authKeys
      .filter(([t]) => !(version.roomIdFromCreateEvent && t === "m.room.create"))
      .map(([t, k]) => into.get(stateKey(t, k)))
      .filter((id): id is string => id !== undefined);
    const event: RoomEvent = {
      event_id: type === "m.room.create" ? createId : `$e${n++}`,
      room_id: roomId,
      type,
      state_key: key,
      sender,
      content,
      origin_server_ts: ts++,
      depth,
      prev_events: [],
      auth_events: auth,
    };
    events.set(event.event_id, event);
    into.set(stateKey(type, key), event.event_id);
    return event;
  };
  const levels = (extra: Record<string, number>): JsonObject => ({
    users: version.privilegedCreators ? extra : { [admin]: 100, ...extra },
  });
  const memberAuth = (user: string): Array<[string, string]> => [
    ["m.room.create", ""],
    ["m.room.power_levels", ""],
    ["m.room.join_rules", ""],
    ["m.room.member", user],
  ];
  const adminAuth: Array<[string, string]> = [["m.room.create", ""], ["m.room.power_levels", ""], ["m.room.member", admin]];

  let depth = 1;
  put(state, "m.room.create", "", admin, version.implicitCreator ? { room_version: version.id } : { creator: admin, room_version: version.id }, [], depth++);
  put(state, "m.room.member", admin, admin, { membership: "join" }, memberAuth(admin), depth++);
  put(state, "m.room.power_levels", "", admin, levels({ [moderator]: 50 }), adminAuth, depth++);
  put(state, "m.room.join_rules", "", admin, { join_rule: "public" }, adminAuth, depth++);
  let historyEvents = 0;
  let user = 0;
  while (state.size < STATE_EVENTS) {
    const id = `@user${user++}:bench.example`;
    put(state, "m.room.member", id, id, { membership: "join", displayname: `user ${user}` }, memberAuth(id), depth++);
    // A history of power-levels and join-rules changes, so auth chains have some depth.
    if (user % 500 === 0) {
      put(state, "m.room.power_levels", "", admin, levels({ [moderator]: 50, [`@user${user}:bench.example`]: 10 }), adminAuth, depth++);
      historyEvents++;
    }
    if (user % 2500 === 0) {
      put(state, "m.room.join_rules", "", admin, { join_rule: "public" }, adminAuth, depth++);
      historyEvents++;
    }
  }

  const forkA = new Map(state);
  const forkB = new Map(state);
  let depthA = depth;
  let depthB = depth;
  put(forkA, "m.room.power_levels", "", admin, levels({ [moderator]: 50, "@user1:bench.example": 50 }), adminAuth, depthA++);
  for (let i = 1; i < FORK_EVENTS; i++) {
    const id = `@user${i + 10}:bench.example`;
    put(forkA, "m.room.member", id, id, { membership: "join", displayname: `A ${i}` }, memberAuth(id), depthA++);
  }
  for (let i = 0; i < FORK_EVENTS; i++) {
    if (i < 50) {
      const target = `@user${1000 + i}:bench.example`;
      put(forkB, "m.room.member", target, moderator, { membership: "leave" }, [...adminAuth.slice(0, 2), ["m.room.member", moderator], ["m.room.member", target]], depthB++);
    } else {
      const id = `@user${i - 50 + 10}:bench.example`;
      put(forkB, "m.room.member", id, id, { membership: "join", displayname: `B ${i}` }, memberAuth(id), depthB++);
    }
  }
  return { source: { get: (id) => events.get(id) }, forkA, forkB, historyEvents };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

for (const [label, versionId] of [["v2 (room version 11)", "11"], ["v2.1 (room version 12)", "12"], ["v1 (room version 1)", "1"]] as const) {
  const version = getRoomVersion(versionId);
  const room = buildRoom(version);
  const conflicts = [...room.forkA].filter(([key, id]) => room.forkB.get(key) !== id).length;
  const times: number[] = [];
  let resolved: StateMap<string> | undefined;
  for (let run = 0; run < RUNS; run++) {
    const start = performance.now();
    resolved = resolveState(version, [room.forkA, room.forkB], room.source);
    times.push(performance.now() - start);
  }
  const kicked = [...(resolved as StateMap<string>)].filter(([key, id]) => key.startsWith("m.room.member") && room.source.get(id)?.content["membership"] === "leave").length;
  console.log(
    `state-res ${label}: ${room.forkA.size} state entries, ${conflicts} conflicted keys, ` +
      `${room.historyEvents} historical PL/JR events; resolve median ${median(times).toFixed(1)} ms, ` +
      `first ${(times[0] as number).toFixed(1)} ms, min ${Math.min(...times).toFixed(1)} ms (${RUNS} runs); ` +
      `${kicked} kicks kept`,
  );
}
