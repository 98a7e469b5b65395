/**
 * Push conditions (modules/push.md "Conditions"), compiled once and tested against events:
 * event_match, event_property_is, event_property_contains, contains_display_name, room_member_count and
 * sender_notification_permission. An unknown kind, or a known kind with missing or ill-typed
 * parameters, never matches (which disables its rule), as the spec requires for unknown conditions.
 */
import { splitDottedPath, valueAtPath } from "./dotted-path.js";
import { globMatcher, literalWordMatcher } from "./glob.js";
import type { PushCondition } from "./types.js";

/** What conditions read about the event and its room; the same for every user. */
export interface EventEnvironment {
  /** The event's top-level fields (type, sender, state_key, room_id, content, ...). */
  readonly event: Readonly<Record<string, unknown>>;
  /** Joined members of the room. */
  readonly roomMemberCount: number;
  /** The sender's power level in the room (called only when a rule asks). */
  senderPowerLevel(): number;
  /** The level needed to trigger a notification of this kind (`notifications` in the power levels). */
  notificationPowerLevel(key: string): number;
}

/** What conditions read about the user the rules belong to. */
export interface UserEnvironment {
  readonly userId: string;
  /** The user's display name in the room, if they have one. */
  readonly displayName: string | undefined;
}

export interface CompiledCondition {
  /** True when the result depends on the event alone, so it can be shared between users. */
  readonly shared: boolean;
  test(env: EventEnvironment, user: UserEnvironment): boolean;
}

const NEVER: CompiledCondition = { shared: true, test: () => false };

type Scalar = string | number | boolean | null;

/** Non-compound canonical JSON values: strings, integers within ±(2^53−1), booleans and null. */
function asScalar(value: unknown): Scalar | undefined {
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") return Number.isSafeInteger(value) ? value + 0 : undefined;
  if (typeof value === "bigint") {
    const n = Number(value);
    return Number.isSafeInteger(n) ? n : undefined;
  }
  return undefined;
}

/** `is` of room_member_count: a decimal integer with an optional ==, <, >, >= or <= prefix. */
function memberCountTest(is: string): ((count: number) => boolean) | undefined {
  const m = /^(==|<=|>=|<|>)?([0-9]+)$/.exec(is);
  if (!m) return undefined;
  const n = Number(m[2]);
  switch (m[1]) {
    case "<":
      return (c) => c < n;
    case ">":
      return (c) => c > n;
    case "<=":
      return (c) => c <= n;
    case ">=":
      return (c) => c >= n;
    default:
      return (c) => c === n;
  }
}

function compile(c: PushCondition): CompiledCondition {
  switch (c.kind) {
    case "event_match": {
      if (typeof c.key !== "string" || typeof c.pattern !== "string") return NEVER;
      const path = splitDottedPath(c.key);
      // content.body: any word-bounded substring; any other key: the whole value.
      const regex = globMatcher(c.pattern, c.key === "content.body");
      return {
        shared: true,
        test: (env) => {
          const value = valueAtPath(env.event, path);
          return typeof value === "string" && regex.test(value);
        },
      };
    }
    case "event_property_is": {
      const expected = asScalar(c.value);
      if (typeof c.key !== "string" || expected === undefined) return NEVER;
      const path = splitDottedPath(c.key);
      return { shared: true, test: (env) => asScalar(valueAtPath(env.event, path)) === expected };
    }
    case "event_property_contains": {
      const expected = asScalar(c.value);
      if (typeof c.key !== "string" || expected === undefined) return NEVER;
      const path = splitDottedPath(c.key);
      return {
        shared: true,
        test: (env) => {
          const value = valueAtPath(env.event, path);
          return Array.isArray(value) && value.some((item) => asScalar(item) === expected);
        },
      };
    }
    case "contains_display_name":
      return {
        shared: false,
        test: (env, user) => {
          const body = valueAtPath(env.event, ["content", "body"]);
          if (typeof body !== "string" || !user.displayName) return false;
          return literalWordMatcher(user.displayName).test(body);
        },
      };
    case "room_member_count": {
      const test = typeof c.is === "string" ? memberCountTest(c.is) : undefined;
      if (!test) return NEVER;
      return { shared: true, test: (env) => test(env.roomMemberCount) };
    }
    case "sender_notification_permission": {
      const key = c.key;
      if (typeof key !== "string") return NEVER;
      return { shared: true, test: (env) => env.senderPowerLevel() >= env.notificationPowerLevel(key) };
    }
    default:
      return NEVER;
  }
}

const cache = new Map<string, CompiledCondition>();

function cacheKey(c: PushCondition): string {
  const scalar = (v: unknown): string => (v === undefined ? "-" : `${typeof v}:${String(v)}`);
  return [c.kind, scalar(c.key), scalar(c.pattern), scalar(c.is), scalar(c.value)].join("\u0000");
}

/**
 * The compiled form of a condition. Equal conditions share one compiled object, so that an
 * evaluation can remember a shared condition's result for every user whose rules contain it.
 */
export function compileCondition(condition: PushCondition): CompiledCondition {
  const key = cacheKey(condition);
  let compiled = cache.get(key);
  if (!compiled) {
    if (cache.size >= 50_000) cache.clear();
    compiled = compile(condition);
    cache.set(key, compiled);
  }
  return compiled;
}
