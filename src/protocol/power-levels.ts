/**
 * Power levels (client-server `m.room.power_levels`, rooms/fragments/v1-stringy-power-levels.md,
 * v1-floaty-power-levels.md, rooms/v10.md, rooms/v12.md): parsing values per room version, the defaults,
 * and a user's effective level.
 *
 * Never `parseInt`/`Number` a power level: `parseInt("5e1")` is 5, `Number("")` is 0, `Number("0x10")`
 * is 16, and all of them would make two servers disagree about who may do what.
 */
import type { RoomEvent } from "./event.js";
import { isJsonObject, type JsonObject, type JsonValue } from "./json.js";
import type { RoomVersion } from "./room-versions.js";
import type { AuthState } from "./auth/auth-state.js";

export interface PowerLevels {
  readonly ban: number;
  readonly kick: number;
  readonly invite: number;
  readonly redact: number;
  readonly eventsDefault: number;
  readonly stateDefault: number;
  readonly usersDefault: number;
  readonly events: ReadonlyMap<string, number>;
  readonly notifications: ReadonlyMap<string, number>;
  readonly users: ReadonlyMap<string, number>;
}

/** The top-level integer properties of a power-levels content and their defaults (server-server-api
 *  "Definitions", client-server `m.room.power_levels`; the same with or without a power-levels event). */
export const LEVEL_DEFAULTS = {
  ban: 50,
  kick: 50,
  invite: 0,
  redact: 50,
  events_default: 0,
  state_default: 50,
  users_default: 0,
} as const;
export type LevelKey = keyof typeof LEVEL_DEFAULTS;
export const LEVEL_KEYS = Object.keys(LEVEL_DEFAULTS) as LevelKey[];

/** The maps of a power-levels content whose values are levels. */
export const LEVEL_MAP_KEYS = ["events", "notifications", "users"] as const;

/** The level to trigger an `@room` notification when `notifications.room` is absent. */
export const DEFAULT_NOTIFICATION_LEVEL = 50;

/** No `m.room.power_levels` event: the creator has 100 (room versions 1–11). */
export const CREATOR_DEFAULT_LEVEL = 100;

/**
 * Python's `str.isspace()` set, which is what `int()` strips in Synapse. The spec allows "any number of
 * leading or trailing whitespace characters" without saying which; following Synapse keeps us agreeing
 * with the rooms it created. (JavaScript's `\s` differs: it has U+FEFF and lacks U+001C–U+001F, U+0085.)
 */
const PY_SPACE = "\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
/**
 * The string grammar of rooms/fragments/v1-stringy-power-levels.md: optional whitespace, one optional
 * sign, ASCII decimal digits (leading zeroes allowed), optional whitespace. Synapse's `int()` also takes
 * `_` between digits and non-ASCII decimal digits ("５０"); the spec's format excludes both, so we do.
 */
const STRINGY_LEVEL = new RegExp(`^[${PY_SPACE}]*([+-]?)([0-9]+)[${PY_SPACE}]*$`);

/**
 * Parse a power-level value per room version, or `undefined` if it is not a valid level:
 * - JSON integers are valid in every version (within ±(2^53−1) where canonical JSON is strict);
 * - v1–9 (`!integerPowerLevels`): strings in the stringy grammar above;
 * - v1–5 (`!strictCanonicalJson`): floats, truncated toward zero, and integers beyond 2^53 (kept as
 *   bigint by the parser; we compare them as doubles, so two huge levels that differ past 2^53 compare
 *   equal); values outside the double range, `Infinity` and `NaN` are invalid.
 * Booleans are invalid everywhere (Synapse's `int(True)` would give 1 in v1–9; the spec lists only
 * integers and strings).
 */
export function parsePowerLevelValue(version: RoomVersion, value: unknown): number | undefined {
  if (typeof value === "number") {
    if (!Number.isFinite(value)) return undefined;
    if (Number.isInteger(value)) {
      if (version.strictCanonicalJson && !Number.isSafeInteger(value)) return undefined;
      return value + 0; // normalise -0
    }
    return version.strictCanonicalJson ? undefined : Math.trunc(value) + 0;
  }
  if (typeof value === "bigint") {
    if (version.strictCanonicalJson) return undefined;
    return finiteOrUndefined(Number(value));
  }
  if (typeof value === "string") {
    if (version.integerPowerLevels) return undefined;
    const match = STRINGY_LEVEL.exec(value);
    if (!match) return undefined;
    // Synapse's int() is exact at any size; a double is enough for every level a room can use, and we
    // treat the absurd ones beyond the double range like the spec treats such floats: invalid.
    const magnitude = Number(BigInt(match[2] as string));
    return finiteOrUndefined(match[1] === "-" ? -magnitude : magnitude);
  }
  return undefined;
}

function finiteOrUndefined(n: number): number | undefined {
  return Number.isFinite(n) ? n + 0 : undefined;
}

/** Parse a `{key: level}` map; entries with invalid levels are dropped. */
function parseLevelMap(version: RoomVersion, value: JsonValue | undefined): Map<string, number> {
  const out = new Map<string, number>();
  if (!isJsonObject(value)) return out;
  for (const key of Object.keys(value)) {
    const level = parsePowerLevelValue(version, value[key]);
    if (level !== undefined) out.set(key, level);
  }
  return out;
}

const cache = new Map<string, WeakMap<JsonObject, PowerLevels>>();
const NO_EVENT = new Map<string, PowerLevels>();

/**
 * Typed view of an `m.room.power_levels` content with defaults filled in; `undefined` content means
 * the room has no power-levels event. Invalid values read as their defaults: the auth rules reject
 * power-levels events that carry them (power-level-rules.ts), so this only matters for robustness.
 * Results are cached per content object and room version: state resolution asks again and again.
 */
export function readPowerLevels(version: RoomVersion, content: JsonObject | undefined): PowerLevels {
  if (content === undefined) {
    let levels = NO_EVENT.get(version.id);
    if (!levels) NO_EVENT.set(version.id, (levels = Object.freeze(parse(version, {}))));
    return levels;
  }
  let perVersion = cache.get(version.id);
  if (!perVersion) cache.set(version.id, (perVersion = new WeakMap()));
  let levels = perVersion.get(content);
  if (!levels) perVersion.set(content, (levels = Object.freeze(parse(version, content))));
  return levels;
}

function parse(version: RoomVersion, content: JsonObject): PowerLevels {
  const level = (key: LevelKey): number => parsePowerLevelValue(version, content[key]) ?? LEVEL_DEFAULTS[key];
  return {
    ban: level("ban"),
    kick: level("kick"),
    invite: level("invite"),
    redact: level("redact"),
    eventsDefault: level("events_default"),
    stateDefault: level("state_default"),
    usersDefault: level("users_default"),
    events: parseLevelMap(version, content["events"]),
    notifications: parseLevelMap(version, content["notifications"]),
    users: parseLevelMap(version, content["users"]),
  };
}

/** The *required power level* to send an event of this type (server-server-api "Definitions"). */
export function requiredPowerToSend(levels: PowerLevels, eventType: string, isState: boolean): number {
  return levels.events.get(eventType) ?? (isState ? levels.stateDefault : levels.eventsDefault);
}

/** The level needed for a notification key such as `room` (`@room` mentions); the spec defines only
 *  `room` (default 50) and Synapse uses the same default for any other key. */
export function notificationPowerLevel(levels: PowerLevels, key: string): number {
  return levels.notifications.get(key) ?? DEFAULT_NOTIFICATION_LEVEL;
}

/**
 * The room's creators: v12 the create event's sender plus `additional_creators`; v11 the sender; before
 * v11 `content.creator` (which was always the sender in practice, but the rules read the property).
 */
export function roomCreators(version: RoomVersion, createEvent: RoomEvent): string[] {
  if (version.privilegedCreators) {
    const extra = createEvent.content["additional_creators"];
    const others = Array.isArray(extra) ? extra.filter((id): id is string => typeof id === "string") : [];
    return [createEvent.sender, ...others];
  }
  if (version.implicitCreator) return [createEvent.sender];
  const creator = createEvent.content["creator"];
  return typeof creator === "string" ? [creator] : [];
}

export function isRoomCreator(version: RoomVersion, userId: string, createEvent: RoomEvent): boolean {
  return roomCreators(version, createEvent).includes(userId);
}

/**
 * The power level of `userId`, from parsed levels and the create event: v12 creators are infinitely
 * powerful whatever the power levels say; with no power-levels event the creator has 100 (v1–11) and
 * everyone else 0.
 */
export function powerLevelOf(
  version: RoomVersion,
  userId: string,
  levels: PowerLevels | undefined,
  createEvent: RoomEvent | undefined,
): number {
  if (version.privilegedCreators && createEvent && isRoomCreator(version, userId, createEvent)) return Infinity;
  if (levels) return levels.users.get(userId) ?? levels.usersDefault;
  if (!version.privilegedCreators && createEvent && isRoomCreator(version, userId, createEvent)) {
    return CREATOR_DEFAULT_LEVEL;
  }
  return 0;
}

/** The power levels in force in `authState`, or undefined if the room has none. */
export function currentPowerLevels(version: RoomVersion, authState: AuthState): PowerLevels | undefined {
  const event = authState("m.room.power_levels", "");
  return event ? readPowerLevels(version, event.content) : undefined;
}

/** The power level of userId: v12 creators → Infinity; no PL event → creator 100, others 0. */
export function userPowerLevel(version: RoomVersion, userId: string, authState: AuthState): number {
  return powerLevelOf(version, userId, currentPowerLevels(version, authState), authState("m.room.create", ""));
}
