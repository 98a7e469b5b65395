/**
 * The server-default rules of v1.19 (modules/push.md "Predefined Rules"), in the specified order.
 * v1.17 removed the legacy rules that looked for mentions in `body` (`.m.rule.contains_display_name`,
 * `.m.rule.contains_user_name`, `.m.rule.roomnotif`, MSC4210), so they are not here; the
 * `contains_display_name` condition still works in rules users made themselves.
 * `.m.rule.master` is the one default rule that comes before the user's own rules.
 */
import type { PushAction, PushCondition, PushRule, RuleKind } from "./types.js";

export const MASTER_RULE_ID = ".m.rule.master";

interface DefaultRule {
  rule_id: string;
  enabled: boolean;
  conditions: PushCondition[];
  actions: PushAction[];
}

const SOUND_DEFAULT: PushAction = { set_tweak: "sound", value: "default" };
const HIGHLIGHT: PushAction = { set_tweak: "highlight" };
const match = (key: string, pattern: string): PushCondition => ({ kind: "event_match", key, pattern });

/** The user's ID stands in for "[the user's Matrix ID]" in the spec's definitions. */
function overrideRules(userId: string): DefaultRule[] {
  return [
    { rule_id: MASTER_RULE_ID, enabled: false, conditions: [], actions: [] },
    { rule_id: ".m.rule.suppress_notices", enabled: true, conditions: [match("content.msgtype", "m.notice")], actions: [] },
    {
      rule_id: ".m.rule.invite_for_me",
      enabled: true,
      conditions: [match("type", "m.room.member"), match("content.membership", "invite"), match("state_key", userId)],
      actions: ["notify", SOUND_DEFAULT],
    },
    { rule_id: ".m.rule.member_event", enabled: true, conditions: [match("type", "m.room.member")], actions: [] },
    {
      rule_id: ".m.rule.is_user_mention",
      enabled: true,
      conditions: [{ kind: "event_property_contains", key: "content.m\\.mentions.user_ids", value: userId }],
      actions: ["notify", SOUND_DEFAULT, HIGHLIGHT],
    },
    {
      rule_id: ".m.rule.is_room_mention",
      enabled: true,
      conditions: [
        { kind: "event_property_is", key: "content.m\\.mentions.room", value: true },
        { kind: "sender_notification_permission", key: "room" },
      ],
      actions: ["notify", HIGHLIGHT],
    },
    {
      rule_id: ".m.rule.tombstone",
      enabled: true,
      conditions: [match("type", "m.room.tombstone"), match("state_key", "")],
      actions: ["notify", HIGHLIGHT],
    },
    { rule_id: ".m.rule.reaction", enabled: true, conditions: [match("type", "m.reaction")], actions: [] },
    {
      rule_id: ".m.rule.room.server_acl",
      enabled: true,
      conditions: [match("type", "m.room.server_acl"), match("state_key", "")],
      actions: [],
    },
    {
      rule_id: ".m.rule.suppress_edits",
      enabled: true,
      conditions: [{ kind: "event_property_is", key: "content.m\\.relates_to.rel_type", value: "m.replace" }],
      actions: [],
    },
  ];
}

const UNDERRIDE_RULES: DefaultRule[] = [
  { rule_id: ".m.rule.call", enabled: true, conditions: [match("type", "m.call.invite")], actions: ["notify", { set_tweak: "sound", value: "ring" }] },
  {
    rule_id: ".m.rule.encrypted_room_one_to_one",
    enabled: true,
    conditions: [{ kind: "room_member_count", is: "2" }, match("type", "m.room.encrypted")],
    actions: ["notify", SOUND_DEFAULT],
  },
  {
    rule_id: ".m.rule.room_one_to_one",
    enabled: true,
    conditions: [{ kind: "room_member_count", is: "2" }, match("type", "m.room.message")],
    actions: ["notify", SOUND_DEFAULT],
  },
  { rule_id: ".m.rule.message", enabled: true, conditions: [match("type", "m.room.message")], actions: ["notify"] },
  { rule_id: ".m.rule.encrypted", enabled: true, conditions: [match("type", "m.room.encrypted")], actions: ["notify"] },
];

function toRule(rule: DefaultRule): PushRule {
  return { rule_id: rule.rule_id, default: true, enabled: rule.enabled, conditions: rule.conditions, actions: rule.actions };
}

/** The server-default rules of each kind for one user (fresh objects: callers may change them). */
export function serverDefaultRules(userId: string): Record<RuleKind, PushRule[]> {
  return {
    override: structuredClone(overrideRules(userId)).map(toRule),
    content: [],
    room: [],
    sender: [],
    underride: structuredClone(UNDERRIDE_RULES).map(toRule),
  };
}

const DEFAULT_IDS: Record<RuleKind, ReadonlySet<string>> = {
  override: new Set(overrideRules("@x:x").map((r) => r.rule_id)),
  content: new Set(),
  room: new Set(),
  sender: new Set(),
  underride: new Set(UNDERRIDE_RULES.map((r) => r.rule_id)),
};

/** Whether a rule ID names a server-default rule of that kind. */
export function isServerDefaultRule(kind: RuleKind, ruleId: string): boolean {
  return DEFAULT_IDS[kind].has(ruleId);
}
