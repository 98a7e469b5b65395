/**
 * Power levels across a room upgrade (client-server API "Room upgrades", server behaviour 3 and 6):
 * the old room's levels carried into the new room (as integers, whatever the old version allowed,
 * and without the creators where the new version makes creators all-powerful), the upgrader's level
 * raised while the old state is copied (as Synapse), and the old room's levels raised so ordinary
 * members can no longer speak or invite there.
 */
import { cloneJson, isJsonObject, type JsonObject } from "../../protocol/json.js";
import { LEVEL_DEFAULTS, LEVEL_KEYS, LEVEL_MAP_KEYS, parsePowerLevelValue, type LevelKey } from "../../protocol/power-levels.js";
import type { RoomVersion } from "../../protocol/room-versions.js";

/** The level v1–11 rooms give their creator (createRoom's default for the creator). */
const ADMIN_LEVEL = 100;

const clampToSafe = (n: number): number => Math.max(-Number.MAX_SAFE_INTEGER, Math.min(Number.MAX_SAFE_INTEGER, n));

/**
 * A power-levels content with every level a JSON integer: string and float levels of older room
 * versions are parsed (invalid ones dropped), so the content is valid in any room version. Other keys
 * are kept as they are.
 */
export function normalizePowerLevels(version: RoomVersion, content: JsonObject | undefined): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(content ?? {})) {
    if ((LEVEL_KEYS as string[]).includes(key)) {
      const level = parsePowerLevelValue(version, value);
      if (level !== undefined) out[key] = clampToSafe(level);
    } else if ((LEVEL_MAP_KEYS as readonly string[]).includes(key)) {
      const map: JsonObject = {};
      if (isJsonObject(value)) {
        for (const [name, raw] of Object.entries(value)) {
          const level = parsePowerLevelValue(version, raw);
          if (level !== undefined) map[name] = clampToSafe(level);
        }
      }
      out[key] = map;
    } else {
      out[key] = cloneJson(value);
    }
  }
  // Always explicit, so that nothing falls back to createRoom's defaults for these maps.
  if (!isJsonObject(out["users"])) out["users"] = {};
  if (!isJsonObject(out["events"])) out["events"] = {};
  return out;
}

const level = (content: JsonObject, key: LevelKey): number => (typeof content[key] === "number" ? (content[key] as number) : LEVEL_DEFAULTS[key]);

export interface UpgradeLevels {
  /** The levels the new room is created with (the upgrader possibly raised). */
  initial: JsonObject;
  /** The levels the new room ends with (equal to `initial` when nothing was raised). */
  final: JsonObject;
}

/**
 * The new room's power levels from the old room's. `newCreators` are the upgrader and the additional
 * creators; `oldCreators` the old room's creators (all-powerful there if the old version says so).
 */
export function upgradeLevels(
  oldVersion: RoomVersion,
  newVersion: RoomVersion,
  oldContent: JsonObject | undefined,
  upgrader: string,
  newCreators: readonly string[],
  oldCreators: readonly string[],
): UpgradeLevels {
  const final = normalizePowerLevels(oldVersion, oldContent);
  const users = final["users"] as JsonObject;
  const usersDefault = level(final, "users_default");
  if (newVersion.privilegedCreators) {
    // v12: creators may not be listed; their power is implied.
    for (const creator of newCreators) delete users[creator];
  } else if (oldVersion.privilegedCreators) {
    // From v12 to an older version the old creators lose their unlimited power: give them an admin's.
    for (const creator of oldCreators) users[creator] = Math.max(typeof users[creator] === "number" ? (users[creator] as number) : usersDefault, ADMIN_LEVEL);
  }
  const initial = cloneJson(final);
  if (!newVersion.privilegedCreators) {
    // Enough to send every state event being copied, bans included (as Synapse), then put back.
    const events = Object.values(final["events"] as JsonObject).filter((v): v is number => typeof v === "number");
    const needed = Math.max(level(final, "state_default"), level(final, "ban"), ...events);
    const current = typeof users[upgrader] === "number" ? (users[upgrader] as number) : usersDefault;
    if (current < needed) (initial["users"] as JsonObject)[upgrader] = needed;
  }
  return { initial, final };
}

/**
 * The old room's levels after the upgrade: sending events and inviting need at least 50 and more than
 * the default user level (the spec's example, Synapse's rule). Undefined when nothing changes.
 */
export function restrictedOldRoomLevels(version: RoomVersion, content: JsonObject | undefined): JsonObject | undefined {
  if (!content) return undefined;
  const out = normalizePowerLevels(version, content);
  const restricted = Math.max(level(out, "users_default") + 1, 50);
  let changed = false;
  for (const key of ["invite", "events_default"] as const) {
    if (level(out, key) < restricted) {
      out[key] = restricted;
      changed = true;
    }
  }
  return changed ? out : undefined;
}
