/**
 * Room versions as a registry of rule flags (content/rooms/v1.md … v12.md). Callers ask
 * "does this version have X" (`version.knocking`) rather than comparing version numbers, because room
 * versions are opaque strings with no ordering.
 */

export type EventIdFormat = "v1" | "v3" | "v4";
export type StateResAlgorithm = "v1" | "v2" | "v2.1";
export type RedactionRules = "v1" | "v6" | "v8" | "v9" | "v11";

export interface RoomVersion {
  readonly id: string;
  /** v1–2: `$localpart:server`; v3: reference hash in standard base64; v4+: URL-safe base64. */
  readonly eventIdFormat: EventIdFormat;
  readonly stateRes: StateResAlgorithm;
  readonly redactionRules: RedactionRules;
  /** v5+: a signature only counts if the key was valid at the event's origin_server_ts. */
  readonly enforceKeyValidity: boolean;
  /** v6+: events must be canonical JSON with integers in ±(2^53−1) and no floats. */
  readonly strictCanonicalJson: boolean;
  /** v1–5: `m.room.aliases` events are authorised by the sender's server name, not power levels. */
  readonly specialCaseAliasesAuth: boolean;
  /** v6+: changes to the power-levels `notifications` map are subject to the same auth rules as `events`. */
  readonly notificationPowerLevelsAuth: boolean;
  /** v1–2: a redaction must come from the server of the event it redacts, checked at auth time. */
  readonly redactionDomainCheckAtAuth: boolean;
  /** v7+: the `knock` membership and join rule. */
  readonly knocking: boolean;
  /** v8+: the `restricted` join rule with `join_authorised_via_users_server`. */
  readonly restrictedJoins: boolean;
  /** v10+: the `knock_restricted` join rule. */
  readonly knockRestricted: boolean;
  /**
   * v10+: power level values must be JSON integers. Before v10 they may be strings that parse as
   * integers, and before v6 (no strict canonical JSON) floats, truncated (rooms/fragments/v1-*-power-levels).
   */
  readonly integerPowerLevels: boolean;
  /** v11+: `redacts` lives in the content of `m.room.redaction`, not at the top level. */
  readonly redactsInContent: boolean;
  /** v11+: the room creator is the create event's sender; `content.creator` is no longer used. */
  readonly implicitCreator: boolean;
  /** v12: room IDs are `!` + the create event's reference hash; the create event has no `room_id`. */
  readonly roomIdFromCreateEvent: boolean;
  /** v12: creators (sender + `additional_creators`) have infinite power; not in the PL `users` map. */
  readonly privilegedCreators: boolean;
}

type Flags = Omit<RoomVersion, "id">;

const V1: Flags = {
  eventIdFormat: "v1",
  stateRes: "v1",
  redactionRules: "v1",
  enforceKeyValidity: false,
  strictCanonicalJson: false,
  specialCaseAliasesAuth: true,
  notificationPowerLevelsAuth: false,
  redactionDomainCheckAtAuth: true,
  knocking: false,
  restrictedJoins: false,
  knockRestricted: false,
  integerPowerLevels: false,
  redactsInContent: false,
  implicitCreator: false,
  roomIdFromCreateEvent: false,
  privilegedCreators: false,
};
const V2: Flags = { ...V1, stateRes: "v2" };
const V3: Flags = { ...V2, eventIdFormat: "v3", redactionDomainCheckAtAuth: false };
const V4: Flags = { ...V3, eventIdFormat: "v4" };
const V5: Flags = { ...V4, enforceKeyValidity: true };
const V6: Flags = { ...V5, redactionRules: "v6", strictCanonicalJson: true, specialCaseAliasesAuth: false, notificationPowerLevelsAuth: true };
const V7: Flags = { ...V6, knocking: true };
const V8: Flags = { ...V7, restrictedJoins: true, redactionRules: "v8" };
const V9: Flags = { ...V8, redactionRules: "v9" };
const V10: Flags = { ...V9, knockRestricted: true, integerPowerLevels: true };
const V11: Flags = { ...V10, redactionRules: "v11", redactsInContent: true, implicitCreator: true };
const V12: Flags = { ...V11, stateRes: "v2.1", roomIdFromCreateEvent: true, privilegedCreators: true };

const REGISTRY: ReadonlyMap<string, RoomVersion> = new Map(
  Object.entries({ "1": V1, "2": V2, "3": V3, "4": V4, "5": V5, "6": V6, "7": V7, "8": V8, "9": V9, "10": V10, "11": V11, "12": V12 }).map(
    ([id, flags]) => [id, Object.freeze({ id, ...flags })],
  ),
);

/** Servers SHOULD use room version 12 for new rooms (content/rooms/_index.md). */
export const DEFAULT_ROOM_VERSION = "12";

/** The room versions this implementation supports, all stable. */
export const SUPPORTED_ROOM_VERSIONS: readonly string[] = [...REGISTRY.keys()];

export function findRoomVersion(id: string): RoomVersion | undefined {
  return REGISTRY.get(id);
}

export class UnsupportedRoomVersionError extends Error {
  override name = "UnsupportedRoomVersionError";
  constructor(readonly versionId: string) {
    super(`unsupported room version ${JSON.stringify(versionId)}`);
  }
}

export function getRoomVersion(id: string): RoomVersion {
  const version = REGISTRY.get(id);
  if (!version) throw new UnsupportedRoomVersionError(id);
  return version;
}

/** Room version grammar: 1–32 code points of [a-z0-9.-]. */
export function isValidRoomVersionId(id: string): boolean {
  return /^[a-z0-9.-]{1,32}$/.test(id);
}
