/**
 * The redaction algorithm of each rules family (content/rooms/fragments/v1-redactions.md,
 * v6-redactions.md, rooms/v8.md "Redactions", v9-redactions.md, v11-redactions.md), chosen through
 * `version.redactionRules`. v12 uses the v11 rules.
 *
 * Two callers need it:
 * - hashing and signing (reference hash, event signatures), which drop `signatures`/`unsigned`
 *   afterwards anyway: `redactedForHashing` gives a cheap view that shares nested values;
 * - storing and serving a redacted event: `redactEvent` gives an independent deep copy and can keep
 *   the `unsigned` keys that stay true after redaction.
 */
import { cloneJson, isJsonObject } from "./json.js";
import type { JsonObject, JsonValue } from "./json.js";
import type { RedactionRules, RoomVersion } from "./room-versions.js";

interface RuleSet {
  readonly topLevel: ReadonlySet<string>;
  /** v1–v5: `m.room.aliases` keeps `aliases`. */
  readonly aliases: boolean;
  /** v8+: `m.room.join_rules` keeps `allow`. */
  readonly joinRulesAllow: boolean;
  /** v9+: `m.room.member` keeps `join_authorised_via_users_server`. */
  readonly joinAuthorisedVia: boolean;
  /** v11+: `m.room.member` keeps `third_party_invite.signed`. */
  readonly thirdPartyInviteSigned: boolean;
  /** v11+: `m.room.create` keeps all of its content. */
  readonly createAllContent: boolean;
  /** v11+: `m.room.power_levels` keeps `invite`. */
  readonly powerLevelsInvite: boolean;
  /** v11+: `m.room.redaction` keeps `content.redacts`. */
  readonly redactionRedacts: boolean;
}

const TOP_LEVEL_V1 = new Set([
  "event_id", "type", "room_id", "sender", "state_key", "content", "hashes", "signatures", "depth",
  "prev_events", "prev_state", "auth_events", "origin", "origin_server_ts", "membership",
]);
// v11 no longer keeps the deprecated `origin`, `membership` and `prev_state`.
const TOP_LEVEL_V11 = new Set([
  "event_id", "type", "room_id", "sender", "state_key", "content", "hashes", "signatures", "depth",
  "prev_events", "auth_events", "origin_server_ts",
]);

const V1: RuleSet = {
  topLevel: TOP_LEVEL_V1,
  aliases: true,
  joinRulesAllow: false,
  joinAuthorisedVia: false,
  thirdPartyInviteSigned: false,
  createAllContent: false,
  powerLevelsInvite: false,
  redactionRedacts: false,
};
const V6: RuleSet = { ...V1, aliases: false };
const V8: RuleSet = { ...V6, joinRulesAllow: true };
const V9: RuleSet = { ...V8, joinAuthorisedVia: true };
const V11: RuleSet = {
  ...V9,
  topLevel: TOP_LEVEL_V11,
  thirdPartyInviteSigned: true,
  createAllContent: true,
  powerLevelsInvite: true,
  redactionRedacts: true,
};

const RULES: Readonly<Record<RedactionRules, RuleSet>> = { v1: V1, v6: V6, v8: V8, v9: V9, v11: V11 };

const POWER_LEVELS_KEYS = ["ban", "events", "events_default", "kick", "redact", "state_default", "users", "users_default"];

function pick(content: JsonObject, keys: readonly string[]): JsonObject {
  const out: JsonObject = {};
  for (const key of keys) {
    const value = content[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}

function redactContent(type: unknown, content: JsonObject, rules: RuleSet): JsonObject {
  switch (type) {
    case "m.room.member": {
      const out = pick(content, rules.joinAuthorisedVia ? ["membership", "join_authorised_via_users_server"] : ["membership"]);
      const invite = content.third_party_invite;
      // The spec keeps "the signed key of the third_party_invite key". Where it is silent, Synapse:
      // an object becomes {signed} (or {} without `signed`); any other value is dropped.
      if (rules.thirdPartyInviteSigned && isJsonObject(invite)) {
        out.third_party_invite = invite.signed === undefined ? {} : { signed: invite.signed };
      }
      return out;
    }
    case "m.room.create":
      return rules.createAllContent ? { ...content } : pick(content, ["creator"]);
    case "m.room.join_rules":
      return pick(content, rules.joinRulesAllow ? ["join_rule", "allow"] : ["join_rule"]);
    case "m.room.power_levels":
      return pick(content, rules.powerLevelsInvite ? [...POWER_LEVELS_KEYS, "invite"] : POWER_LEVELS_KEYS);
    case "m.room.aliases":
      return rules.aliases ? pick(content, ["aliases"]) : {};
    case "m.room.history_visibility":
      return pick(content, ["history_visibility"]);
    case "m.room.redaction":
      return rules.redactionRedacts ? pick(content, ["redacts"]) : {};
    default:
      return {};
  }
}

/**
 * The redacted event without `signatures` and `unsigned`, sharing nested values with the input: what
 * the reference hash and event signatures cover. Cheap; the result must not be modified.
 */
export function redactedForHashing(event: object, version: RoomVersion): JsonObject {
  const out = redactTopLevel(event as Record<string, unknown>, version);
  delete out.signatures;
  return out;
}

/** Whether redaction keeps this top-level key of an event of this type (`content` is always kept). */
export function keepsTopLevelKey(key: string, type: unknown, version: RoomVersion): boolean {
  if (!RULES[version.redactionRules].topLevel.has(key)) return false;
  // Synapse: a v12 create event never has a room_id (its ID is derived from the event), so one that
  // appears anyway is not kept.
  return !(key === "room_id" && version.roomIdFromCreateEvent && type === "m.room.create");
}

/**
 * The redacted content of an event (nested values shared with the input). Content that is missing or
 * not an object has nothing worth keeping: the redacted event still carries `content: {}`, as every
 * event format requires.
 */
export function redactedContent(event: object, version: RoomVersion): JsonObject {
  const { type, content } = event as { type?: unknown; content?: unknown };
  return redactContent(type, isJsonObject(content) ? content : {}, RULES[version.redactionRules]);
}

function redactTopLevel(event: Record<string, unknown>, version: RoomVersion): JsonObject {
  const out: JsonObject = {};
  for (const key of Object.keys(event)) {
    const value = event[key];
    if (value !== undefined && keepsTopLevelKey(key, event.type, version)) out[key] = value as JsonValue;
  }
  out.content = redactedContent(event, version);
  return out;
}

export interface RedactOptions {
  /**
   * Keep the `unsigned` keys that stay true after redaction, `age_ts` and `replaces_state` (what
   * Synapse keeps on the copy it stores and serves; the caller then adds `redacted_because` for
   * clients). Default false: the spec algorithm, which keeps no `unsigned` at all.
   */
  keepUnsigned?: boolean;
}

const UNSIGNED_KEPT = ["age_ts", "replaces_state"];

/** The redacted form of an event as an independent copy; the input is never modified. */
export function redactEvent<T extends object>(event: T, version: RoomVersion, options: RedactOptions = {}): T {
  const source = event as Record<string, unknown>;
  const out = cloneJson(redactTopLevel(source, version));
  if (options.keepUnsigned && isJsonObject(source.unsigned)) {
    out.unsigned = cloneJson(pick(source.unsigned, UNSIGNED_KEPT));
  }
  return out as T;
}
