/**
 * Auth rules for `m.room.power_levels` events (rule 10 of v1–5, 9 of v6–11, 10 of v12): the content must
 * be well formed for the room version, v12 creators may not appear in `users`, and no sender may grant
 * or take away more power than they hold.
 */
import type { RoomEvent } from "../event.js";
import { isJsonObject, type JsonObject, type JsonValue } from "../json.js";
import { LEVEL_KEYS, parsePowerLevelValue, readPowerLevels, roomCreators } from "../power-levels.js";
import type { RoomVersion } from "../room-versions.js";
import { AuthError, type AuthState } from "./auth-state.js";
import { isUserIdLike } from "./user-ids.js";

export function checkPowerLevelsEvent(
  version: RoomVersion,
  event: RoomEvent,
  authState: AuthState,
  senderLevel: number,
): void {
  checkWellFormedCached(version, event.content);
  const users = event.content["users"];
  if (version.privilegedCreators && isJsonObject(users)) {
    const create = authState("m.room.create", "");
    if (create && roomCreators(version, create).some((creator) => Object.hasOwn(users, creator))) {
      throw new AuthError("power_levels.creator_in_users", "room creators may not be listed in users");
    }
  }
  const previous = authState("m.room.power_levels", "");
  if (!previous) return;
  checkChanges(version, previous.content, event.content, event.sender, senderLevel);
}

/** Content verdicts per room version and content object: state resolution checks the same power levels
 *  events over and over, and a `users` map can hold thousands of entries. */
const verdicts = new Map<string, WeakMap<JsonObject, { rule: string; message: string } | null>>();

function checkWellFormedCached(version: RoomVersion, content: JsonObject): void {
  let perVersion = verdicts.get(version.id);
  if (!perVersion) verdicts.set(version.id, (perVersion = new WeakMap()));
  let verdict = perVersion.get(content);
  if (verdict === undefined) {
    try {
      checkWellFormed(version, content);
      verdict = null;
    } catch (error) {
      if (!(error instanceof AuthError)) throw error;
      verdict = { rule: error.rule, message: error.message };
    }
    perVersion.set(content, verdict);
  }
  if (verdict) throw new AuthError(verdict.rule, verdict.message);
}

/**
 * The content checks. The spec's rules ask this of `users` in every version and, from v10, of every
 * level. In v1–9 it only says how values may be written (integers, strings in a fixed grammar, and in
 * v1–5 floats); we reject any level that is present but not written so, as Ruma does. Synapse accepts
 * such an event but then fails with a conversion error on every later event that reads the bad
 * level, so such a room is unusable there anyway. `null` top-level levels in v1–9 read as absent,
 * as Synapse's `get_named_level` reads them.
 */
function checkWellFormed(version: RoomVersion, content: JsonObject): void {
  for (const key of LEVEL_KEYS) {
    const value = content[key];
    if (value === undefined || (value === null && !version.integerPowerLevels)) continue;
    if (parsePowerLevelValue(version, value) === undefined) {
      throw new AuthError("power_levels.level", `${key} is not a valid power level`);
    }
  }
  checkLevelMap(version, content, "events");
  // Before v6 `notifications` had no meaning to the auth rules; leave whatever is there alone.
  if (version.notificationPowerLevelsAuth) checkLevelMap(version, content, "notifications");
  checkLevelMap(version, content, "users");
}

function checkLevelMap(version: RoomVersion, content: JsonObject, name: "events" | "notifications" | "users"): void {
  const map = content[name];
  if (map === undefined) return;
  if (!isJsonObject(map)) throw new AuthError(`power_levels.${name}`, `${name} is not an object`);
  // Object.keys plus lookups: much faster than Object.entries on the dictionary-mode objects that
  // large maps become.
  for (const key of Object.keys(map)) {
    const value = map[key];
    if (name === "users" && !isUserIdLike(key)) {
      throw new AuthError("power_levels.users", `${JSON.stringify(key)} is not a user ID`);
    }
    if (parsePowerLevelValue(version, value) === undefined) {
      throw new AuthError(`power_levels.${name}`, `${name}[${JSON.stringify(key)}] is not a valid power level`);
    }
  }
}

function checkChanges(version: RoomVersion, before: JsonObject, after: JsonObject, sender: string, senderLevel: number): void {
  const level = (value: JsonValue | undefined): number | undefined =>
    value === undefined ? undefined : parsePowerLevelValue(version, value);

  // "Added, changed or removed": compared by value, so `"50"` → `50` is no change (as in Synapse).
  for (const key of LEVEL_KEYS) {
    const old = level(before[key]);
    const neu = level(after[key]);
    if (old === neu) continue;
    if ((old !== undefined && old > senderLevel) || (neu !== undefined && neu > senderLevel)) {
      throw new AuthError("power_levels.change.level", `sender may not change ${key} beyond their own level`);
    }
  }
  // The maps are compared through their parsed (and cached) views: state resolution re-checks the same
  // power levels events many times, and `users` can hold thousands of entries.
  const oldLevels = readPowerLevels(version, before);
  const newLevels = readPowerLevels(version, after);
  const maps: Array<"events" | "notifications"> = version.notificationPowerLevelsAuth ? ["events", "notifications"] : ["events"];
  for (const name of maps) {
    for (const [key, a, b] of changedEntries(oldLevels[name], newLevels[name])) {
      if ((a !== undefined && a > senderLevel) || (b !== undefined && b > senderLevel)) {
        throw new AuthError(`power_levels.change.${name}`, `sender may not change ${name}[${JSON.stringify(key)}]`);
      }
    }
  }
  for (const [user, a, b] of changedEntries(oldLevels.users, newLevels.users)) {
    if (user !== sender && a !== undefined && a >= senderLevel) {
      throw new AuthError("power_levels.change.users_peer", `sender may not change the level of ${user}`);
    }
    if (b !== undefined && b > senderLevel) {
      throw new AuthError("power_levels.change.users_grant", `sender may not raise ${user} above their own level`);
    }
  }
}

/** The keys of two level maps whose values differ, with old and new values (undefined = absent). */
function changedEntries(
  before: ReadonlyMap<string, number>,
  after: ReadonlyMap<string, number>,
): Array<[string, number | undefined, number | undefined]> {
  const out: Array<[string, number | undefined, number | undefined]> = [];
  for (const [key, a] of before) {
    const b = after.get(key);
    if (a !== b) out.push([key, a, b]);
  }
  for (const [key, b] of after) {
    if (!before.has(key)) out.push([key, undefined, b]);
  }
  return out;
}
