import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { actionsHighlight, actionsNotify, parseActions, stripHistoricalActions } from "../../../src/protocol/push/actions.js";
import type { EventEnvironment } from "../../../src/protocol/push/conditions.js";
import { compileCondition } from "../../../src/protocol/push/conditions.js";
import { isServerDefaultRule, serverDefaultRules } from "../../../src/protocol/push/default-rules.js";
import { CompiledRuleset, PushEvaluation } from "../../../src/protocol/push/evaluator.js";
import { buildRuleset, type PushRuleSetting, type UserPushRule } from "../../../src/protocol/push/ruleset.js";
import { checkNewRuleId, parseRuleInput } from "../../../src/protocol/push/rule-input.js";
import { PushRuleError, type PushCondition } from "../../../src/protocol/push/types.js";

const ALICE = "@alice:example.org";

function env(event: Record<string, unknown>, options: { members?: number; senderLevel?: number; roomLevel?: number } = {}): EventEnvironment {
  return {
    event: { room_id: "!room:example.org", sender: "@bob:example.org", ...event },
    roomMemberCount: options.members ?? 5,
    senderPowerLevel: () => options.senderLevel ?? 0,
    notificationPowerLevel: (key) => (key === "room" ? (options.roomLevel ?? 50) : 50),
  };
}

function holds(condition: PushCondition, event: Record<string, unknown>, options: Parameters<typeof env>[1] = {}, displayName?: string): boolean {
  return compileCondition(condition).test(env(event, options), { userId: ALICE, displayName });
}

function evaluate(event: Record<string, unknown>, options: Parameters<typeof env>[1] & { rules?: UserPushRule[]; settings?: PushRuleSetting[]; displayName?: string } = {}) {
  const ruleset = CompiledRuleset.compile(buildRuleset(ALICE, options.rules ?? [], options.settings ?? []));
  return new PushEvaluation(env(event, options)).match(ruleset, { userId: ALICE, displayName: options.displayName });
}

const message = (content: Record<string, unknown>) => ({ type: "m.room.message", content: { msgtype: "m.text", ...content } });

describe("push conditions (modules/push.md)", () => {
  it("event_match: the spec's m.room.topic example and non-string values", () => {
    const topic = (value: unknown) => ({ type: "m.room.topic", state_key: "", content: { topic: value } });
    const cond = { kind: "event_match", key: "content.topic", pattern: "lunc?*" };
    assert.ok(holds(cond, topic("Lunch plans")));
    assert.ok(holds(cond, topic("LUNCH")));
    assert.ok(!holds(cond, topic(" lunch")));
    assert.ok(!holds(cond, topic("lunc")));
    assert.ok(!holds(cond, topic(null)));
    assert.ok(!holds({ kind: "event_match", key: "content.nothing", pattern: "*" }, topic("x")), "absent property never matches, even *");
    assert.ok(!holds({ kind: "event_match", key: "content", pattern: "*" }, topic("x")), "an object never matches");
  });

  it("event_match on content.body: the spec's ex*ple example", () => {
    const cond = { kind: "event_match", key: "content.body", pattern: "ex*ple" };
    for (const body of ["An example event.", "exple", "An exciting triple-whammy"]) assert.ok(holds(cond, message({ body })), body);
    assert.ok(!holds(cond, message({ body: "examples" })));
  });

  it("event_property_is: the spec's m.federate example, exact types only", () => {
    const create = (federate: unknown) => ({ type: "m.room.create", state_key: "", content: { creator: "@example:example.org", "m.federate": federate } });
    const cond = { kind: "event_property_is", key: "content.m\\.federate", value: true };
    assert.ok(holds(cond, create(true)));
    assert.ok(!holds(cond, create("true")));
    assert.ok(!holds(cond, create(1)));
    assert.ok(holds({ kind: "event_property_is", key: "content.n", value: 5 }, { type: "x", content: { n: 5n } }), "bigint and number integers compare");
    assert.ok(!holds({ kind: "event_property_is", key: "content.n", value: 1.5 }, { type: "x", content: { n: 1.5 } }), "floats are not canonical JSON");
    assert.ok(holds({ kind: "event_property_is", key: "content.n", value: null }, { type: "x", content: { n: null } }));
    assert.ok(!holds({ kind: "event_property_is", key: "content.n", value: null }, { type: "x", content: {} }), "absent is not null");
  });

  it("event_property_contains: the spec's alt_aliases example", () => {
    const alias = { type: "m.room.canonical_alias", state_key: "", content: { alias: "#somewhere:localhost", alt_aliases: ["#somewhere:example.org", "#myroom:example.com"] } };
    assert.ok(holds({ kind: "event_property_contains", key: "content.alt_aliases", value: "#myroom:example.com" }, alias));
    assert.ok(!holds({ kind: "event_property_contains", key: "content.alt_aliases", value: ":example.com" }, alias));
    assert.ok(!holds({ kind: "event_property_contains", key: "content.alias", value: "#somewhere:localhost" }, alias), "not an array");
  });

  it("contains_display_name: word-bounded, case-insensitive, literal", () => {
    const cond = { kind: "contains_display_name" };
    assert.ok(holds(cond, message({ body: "hey Alice Smith, lunch?" }), {}, "alice smith"));
    assert.ok(!holds(cond, message({ body: "hey AliceSmith" }), {}, "Alice"));
    assert.ok(!holds(cond, message({ body: "malice" }), {}, "alice"));
    assert.ok(holds(cond, message({ body: "ping al.ice!" }), {}, "al.ice"));
    assert.ok(!holds(cond, message({ body: "ping alxice" }), {}, "al.ice"), "the name is not a pattern");
    assert.ok(!holds(cond, message({ body: "anything" }), {}, undefined), "no display name never matches");
    assert.ok(!holds(cond, message({ body: "" }), {}, ""));
  });

  it("room_member_count: prefixes and the default ==", () => {
    const count = (is: string, members: number) => holds({ kind: "room_member_count", is }, message({ body: "x" }), { members });
    assert.ok(count("2", 2));
    assert.ok(!count("2", 3));
    assert.ok(count("==2", 2));
    assert.ok(count("<10", 9) && !count("<10", 10));
    assert.ok(count("<=10", 10) && !count("<=10", 11));
    assert.ok(count(">2", 3) && !count(">2", 2));
    assert.ok(count(">=2", 2) && !count(">=2", 1));
    assert.ok(!count("=2", 2) && !count("two", 2) && !count("", 2), "malformed never matches");
  });

  it("sender_notification_permission reads the notifications levels", () => {
    const cond = { kind: "sender_notification_permission", key: "room" };
    assert.ok(holds(cond, message({ body: "x" }), { senderLevel: 50 }));
    assert.ok(!holds(cond, message({ body: "x" }), { senderLevel: 49 }));
    assert.ok(holds(cond, message({ body: "x" }), { senderLevel: 0, roomLevel: 0 }));
    assert.ok(!holds({ kind: "sender_notification_permission" }, message({ body: "x" }), { senderLevel: 100 }));
  });

  it("unknown conditions never match", () => {
    assert.ok(!holds({ kind: "org.example.unknown" }, message({ body: "x" })));
  });
});

describe("the server-default rules of v1.19", () => {
  it("are the specified rules in the specified order", () => {
    const rules = serverDefaultRules(ALICE);
    assert.deepEqual(rules.override.map((r) => r.rule_id), [
      ".m.rule.master",
      ".m.rule.suppress_notices",
      ".m.rule.invite_for_me",
      ".m.rule.member_event",
      ".m.rule.is_user_mention",
      ".m.rule.is_room_mention",
      ".m.rule.tombstone",
      ".m.rule.reaction",
      ".m.rule.room.server_acl",
      ".m.rule.suppress_edits",
    ]);
    assert.deepEqual(rules.content, []);
    assert.deepEqual(rules.underride.map((r) => r.rule_id), [".m.rule.call", ".m.rule.encrypted_room_one_to_one", ".m.rule.room_one_to_one", ".m.rule.message", ".m.rule.encrypted"]);
    assert.equal(rules.override[0]!.enabled, false, "master is disabled by default");
    assert.ok(rules.override.slice(1).every((r) => r.enabled && r.default));
    assert.deepEqual(rules.override[4]!.conditions, [{ kind: "event_property_contains", key: "content.m\\.mentions.user_ids", value: ALICE }]);
    assert.deepEqual(rules.override[2]!.conditions![2], { kind: "event_match", key: "state_key", pattern: ALICE });
    assert.ok(isServerDefaultRule("override", ".m.rule.suppress_edits"));
    assert.ok(!isServerDefaultRule("underride", ".m.rule.suppress_edits"));
  });

  it("notify for group messages, without highlight", () => {
    const m = evaluate(message({ body: "hello" }));
    assert.equal(m?.ruleId, ".m.rule.message");
    assert.deepEqual(m?.actions, ["notify"]);
    assert.ok(actionsNotify(m!.actions) && !actionsHighlight(m!.actions));
  });

  it("notify with sound in rooms of two (room_one_to_one, encrypted_room_one_to_one)", () => {
    assert.equal(evaluate(message({ body: "hi" }), { members: 2 })?.ruleId, ".m.rule.room_one_to_one");
    assert.equal(evaluate({ type: "m.room.encrypted", content: { algorithm: "m.megolm.v1.aes-sha2", ciphertext: "..." } }, { members: 2 })?.ruleId, ".m.rule.encrypted_room_one_to_one");
    assert.equal(evaluate({ type: "m.room.encrypted", content: { ciphertext: "..." } }, { members: 3 })?.ruleId, ".m.rule.encrypted");
  });

  it("highlight a user mention through m.mentions, not through the body", () => {
    const m = evaluate(message({ body: "hi", "m.mentions": { user_ids: [ALICE] } }));
    assert.equal(m?.ruleId, ".m.rule.is_user_mention");
    assert.ok(actionsHighlight(m!.actions));
    const other = evaluate(message({ body: "hi @alice:example.org alice", "m.mentions": { user_ids: ["@carol:example.org"] } }), { displayName: "alice" });
    assert.equal(other?.ruleId, ".m.rule.message", "the legacy body rules are gone since v1.17");
  });

  it("highlight @room only when the sender has the notifications.room level", () => {
    const event = message({ body: "@room hi", "m.mentions": { room: true } });
    assert.equal(evaluate(event, { senderLevel: 50 })?.ruleId, ".m.rule.is_room_mention");
    assert.equal(evaluate(event, { senderLevel: 0 })?.ruleId, ".m.rule.message");
    assert.equal(evaluate(event, { senderLevel: 0, roomLevel: 0 })?.ruleId, ".m.rule.is_room_mention");
    assert.equal(evaluate(message({ body: "@room hi", "m.mentions": { room: "true" } }), { senderLevel: 100 })?.ruleId, ".m.rule.message");
  });

  it("suppress notices, edits, reactions, ACLs and member events; notify invites and tombstones", () => {
    assert.deepEqual(evaluate(message({ body: "bot", msgtype: "m.notice" }))?.actions, []);
    assert.equal(evaluate(message({ body: "* fix", "m.relates_to": { rel_type: "m.replace", event_id: "$x" } }))?.ruleId, ".m.rule.suppress_edits");
    assert.equal(evaluate({ type: "m.reaction", content: { "m.relates_to": { rel_type: "m.annotation", event_id: "$x", key: "👍" } } })?.ruleId, ".m.rule.reaction");
    assert.equal(evaluate({ type: "m.room.server_acl", state_key: "", content: {} })?.ruleId, ".m.rule.room.server_acl");
    assert.equal(evaluate({ type: "m.room.member", state_key: "@bob:example.org", content: { membership: "join" } })?.ruleId, ".m.rule.member_event");
    const invite = evaluate({ type: "m.room.member", state_key: ALICE, content: { membership: "invite" } });
    assert.equal(invite?.ruleId, ".m.rule.invite_for_me");
    assert.ok(actionsNotify(invite!.actions) && !actionsHighlight(invite!.actions));
    const tombstone = evaluate({ type: "m.room.tombstone", state_key: "", content: { replacement_room: "!new:x" } });
    assert.equal(tombstone?.ruleId, ".m.rule.tombstone");
    assert.ok(actionsHighlight(tombstone!.actions));
    assert.equal(evaluate({ type: "m.room.tombstone", state_key: "x", content: {} }), undefined, "a tombstone with a state key is nothing");
    assert.equal(evaluate({ type: "m.call.invite", content: {} })?.ruleId, ".m.rule.call");
    assert.equal(evaluate({ type: "org.example.custom", content: { body: "x" } }), undefined);
  });

  it("the master rule, once enabled, silences everything", () => {
    const m = evaluate(message({ body: "hi", "m.mentions": { user_ids: [ALICE] } }), { settings: [{ kind: "override", ruleId: ".m.rule.master", enabled: true, actions: null }] });
    assert.equal(m?.ruleId, ".m.rule.master");
    assert.deepEqual(m?.actions, []);
  });
});

describe("user rules and settings", () => {
  const rule = (kind: UserPushRule["kind"], ruleId: string, priority: number, extra: Partial<UserPushRule> = {}): UserPushRule => ({ kind, ruleId, priority, conditions: null, pattern: null, actions: ["notify", { set_tweak: "highlight" }], ...extra });

  it("come before the defaults of their kind, after master, ordered by priority", () => {
    const rs = buildRuleset(ALICE, [rule("override", "b", 2, { conditions: [] }), rule("override", "a", 1, { conditions: [] }), rule("underride", "u", 0, { conditions: [] })], []);
    assert.deepEqual(rs.override.slice(0, 4).map((r) => r.rule_id), [".m.rule.master", "a", "b", ".m.rule.suppress_notices"]);
    assert.equal(rs.underride[0]!.rule_id, "u");
    assert.deepEqual(rs.override[1], { rule_id: "a", default: false, enabled: true, actions: ["notify", { set_tweak: "highlight" }], conditions: [] });
  });

  it("content rules match word-bounded body patterns; room and sender rules match their IDs exactly", () => {
    const content = [rule("content", "cake", 0, { pattern: "cake*lie" })];
    assert.equal(evaluate(message({ body: "the cake is a lie" }), { rules: content })?.ruleId, "cake");
    assert.equal(evaluate(message({ body: "pancake is a lie" }), { rules: content })?.ruleId, ".m.rule.message");
    assert.equal(evaluate(message({ body: "x" }), { rules: [rule("room", "!room:example.org", 0, { actions: [] })] })?.ruleId, "!room:example.org");
    assert.equal(evaluate(message({ body: "x" }), { rules: [rule("room", "!ROOM:example.org", 0, { actions: [] })] })?.ruleId, ".m.rule.message");
    assert.equal(evaluate(message({ body: "x" }), { rules: [rule("sender", "@bob:example.org", 0, { actions: [] })] })?.ruleId, "@bob:example.org");
  });

  it("disabled rules never match; settings change default actions", () => {
    const disabled = evaluate(message({ body: "x" }), { settings: [{ kind: "underride", ruleId: ".m.rule.message", enabled: false, actions: null }] });
    assert.equal(disabled, undefined);
    const loud = evaluate(message({ body: "x" }), { settings: [{ kind: "underride", ruleId: ".m.rule.message", enabled: null, actions: ["notify", { set_tweak: "highlight" }] }] });
    assert.ok(actionsHighlight(loud!.actions));
  });

  it("a legacy display-name rule the user keeps still works", () => {
    const legacy = rule("override", "legacy_name", 0, { conditions: [{ kind: "contains_display_name" }] });
    const ruleset = CompiledRuleset.compile(buildRuleset(ALICE, [legacy], []));
    assert.ok(ruleset.usesDisplayName);
    assert.equal(evaluate(message({ body: "Alice: ping" }), { rules: [legacy], displayName: "Alice" })?.ruleId, "legacy_name");
    assert.equal(evaluate(message({ body: "Alice: ping" }), { rules: [legacy], displayName: undefined })?.ruleId, ".m.rule.message");
  });

  it("shares event-only condition results between users in one evaluation", () => {
    const evaluation = new PushEvaluation(env(message({ body: "x" })));
    const bob = CompiledRuleset.compile(buildRuleset("@bob:example.org", [], []));
    const carol = CompiledRuleset.compile(buildRuleset("@carol:example.org", [], []));
    assert.equal(evaluation.match(bob, { userId: "@bob:example.org", displayName: undefined })?.ruleId, ".m.rule.message");
    assert.equal(evaluation.match(carol, { userId: "@carol:example.org", displayName: undefined })?.ruleId, ".m.rule.message");
  });
});

describe("actions and rule input", () => {
  it("strips historical actions and refuses unknown ones", () => {
    assert.deepEqual(stripHistoricalActions(["dont_notify"]), []);
    assert.deepEqual(parseActions(["notify", "coalesce", { set_tweak: "sound", value: "ping" }]), ["notify", { set_tweak: "sound", value: "ping" }]);
    assert.throws(() => parseActions(["bogus"]), PushRuleError);
    assert.throws(() => parseActions([{ value: 1 }]), PushRuleError);
    assert.throws(() => parseActions("notify"), PushRuleError);
    assert.ok(actionsHighlight([{ set_tweak: "highlight", value: true }]));
    assert.ok(!actionsHighlight([{ set_tweak: "highlight", value: false }]));
  });

  it("checks rule IDs and bodies per kind", () => {
    assert.throws(() => checkNewRuleId(".m.rule.mine"), PushRuleError);
    assert.throws(() => checkNewRuleId("a/b"), PushRuleError);
    assert.throws(() => checkNewRuleId("a\\b"), PushRuleError);
    checkNewRuleId("!room:example.org");
    assert.throws(() => parseRuleInput("content", { actions: [] }), PushRuleError, "content rules need a pattern");
    assert.throws(() => parseRuleInput("override", { conditions: [] }), PushRuleError, "actions are required");
    assert.throws(() => parseRuleInput("override", { actions: [], conditions: [{ key: "x" }] }), PushRuleError);
    assert.throws(() => parseRuleInput("override", { actions: [], conditions: [{ kind: "event_match", key: "type" }] }), PushRuleError);
    assert.throws(() => parseRuleInput("override", { actions: [], conditions: [{ kind: "room_member_count", is: "two" }] }), PushRuleError);
    assert.deepEqual(parseRuleInput("override", { actions: ["notify"] }), { actions: ["notify"], conditions: [], pattern: null });
    assert.deepEqual(parseRuleInput("underride", { actions: [], conditions: [{ kind: "org.example.future", x: 1 }] }).conditions, [{ kind: "org.example.future", x: 1 }]);
    assert.deepEqual(parseRuleInput("room", { actions: [], pattern: "ignored" }), { actions: [], conditions: null, pattern: null });
  });
});
