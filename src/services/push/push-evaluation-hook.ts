/**
 * Push rules at persist time (client-server API "Push Rules"; persist hook, inside the event's
 * transaction): each new event is evaluated against the rules of every local joined member but its
 * sender, and of a local user it invites (`.m.rule.invite_for_me`). Where the rules say `notify`, the
 * actions are stored with the event's thread, so unread counts and GET /notifications read them.
 * As in Synapse, users who ignore the sender get nothing, a redacted event's notifications are
 * dropped, and a user's own event counts as read up to it in its thread.
 */
import { authStateFromMap } from "../../protocol/auth/auth-state.js";
import { stateKey, type RoomEvent, type StateKey } from "../../protocol/event.js";
import { actionsHighlight, actionsNotify } from "../../protocol/push/actions.js";
import type { EventEnvironment, UserEnvironment } from "../../protocol/push/conditions.js";
import { PushEvaluation, type CompiledRuleset } from "../../protocol/push/evaluator.js";
import { notificationPowerLevel, readPowerLevels, userPowerLevel } from "../../protocol/power-levels.js";
import type { EventStore } from "../../storage/event-store.js";
import type { Executor } from "../../storage/executor.js";
import type { NewPushAction, PushActionStore } from "../../storage/push-action-store.js";
import type { PersistContext, PersistHook } from "../rooms/event-persister.js";
import { roomEventOf } from "../rooms/room-event-view.js";
import type { PushRulesCache } from "./push-rules-cache.js";
import type { LoggedEvent, RecentPushActions } from "./recent-push-actions.js";
import { lruCache } from "../../lru.js";

type JoinedMembers = Awaited<ReturnType<PushActionStore["joinedMembers"]>>;

/** The thread ID of the main timeline in receipts and counts. */
export const MAIN_THREAD = "main";

/** Those of `userIds` who ignore `sender`, read with `executor` (the event's transaction) where not known. */
export type IgnoringSender = (executor: Executor, userIds: readonly string[], sender: string) => Promise<ReadonlySet<string>>;

/** `recent`: told of every event this hook ran for, once it committed, with the actions stored for it. */
export function pushEvaluationHook(actions: PushActionStore, events: EventStore, rules: PushRulesCache, ignoring: IgnoringSender, serverName: string, recent?: RecentPushActions): PersistHook {
  const isLocal = (userId: string): boolean => userId.endsWith(`:${serverName}`);
  // Joined members by room, read once and then kept up to date by the room's events: the room's writer
  // is the only one that changes them, and it runs this hook. A member event applies its own change
  // to a copy (used for this event, cached once it commits), so a large room is not read again for
  // every join; a merge by state resolution may change anyone, so it reads afresh.
  const joined = lruCache<number, JoinedMembers>(2_000);
  const joinedMembers = async (context: PersistContext): Promise<JoinedMembers> => {
    const { tx, event, head, afterCommit } = context;
    const roomNid = head.room.roomNid;
    const cached = joined.get(roomNid);
    // While the state is partial the members arrive outside the persister: nothing is kept until then.
    if (context.currentStateResolved === true || head.room.partialState || (event.type === "m.room.member" && !cached)) {
      afterCommit(() => joined.delete(roomNid));
      return actions.joinedMembers(tx.db, roomNid);
    }
    if (!cached) {
      const members = await actions.joinedMembers(tx.db, roomNid);
      afterCommit(() => joined.set(roomNid, members));
      return members;
    }
    if (event.type !== "m.room.member" || typeof event.state_key !== "string") return cached;
    const after = await withMemberChange(cached, context, events, isLocal);
    afterCommit(() => joined.set(roomNid, after));
    return after;
  };
  return async (context: PersistContext) => {
    const { tx, event, head } = context;
    if (event.type === "m.room.redaction" && typeof event.redacts === "string") {
      // The redaction hook (registered earlier) has decided whether the redaction applies.
      const target = (await events.eventNids([event.redacts], tx.db)).get(event.redacts);
      if (target !== undefined) await actions.deleteActionsIfRedacted(tx.db, target);
    }
    const roomNid = head.room.roomNid;
    const threadId = context.threadId ?? MAIN_THREAD;
    const logged: LoggedEvent = { position: context.streamOrdering, sender: event.sender, threadId, redaction: event.type === "m.room.redaction", notified: new Map() };
    if (recent) context.afterCommit(() => recent.record(roomNid, logged));
    if (isLocal(event.sender)) await actions.recordSent(tx.db, { roomNid, userId: event.sender, threadId, streamOrdering: context.streamOrdering });

    const members = await joinedMembers(context);
    const recipients = new Set(members.local);
    const invitee = event.type === "m.room.member" && event.content["membership"] === "invite" ? event.state_key : undefined;
    if (typeof invitee === "string" && isLocal(invitee)) recipients.add(invitee);
    recipients.delete(event.sender);
    if (recipients.size === 0) return;

    const rulesets = await rules.rulesOf(tx.db, [...recipients]);
    const env = await eventEnvironment(context, events, members.count);
    const evaluation = new PushEvaluation(env);
    const names = await displayNames(context, events, rulesets);
    const rows: NewPushAction[] = [];
    for (const [userId, ruleset] of rulesets) {
      const user: UserEnvironment = { userId, displayName: names.get(userId) };
      const match = evaluation.match(ruleset, user);
      if (!match || !actionsNotify(match.actions)) continue;
      rows.push({
        eventNid: context.eventNid,
        roomNid,
        userId,
        threadId,
        streamOrdering: context.streamOrdering,
        highlight: actionsHighlight(match.actions),
        actions: match.actions,
      });
    }
    if (rows.length === 0) return;
    const ignorers = await ignoring(
      tx.db,
      rows.map((r) => r.userId),
      event.sender,
    );
    const stored = rows.filter((r) => !ignorers.has(r.userId));
    await actions.insertActions(tx.db, stored);
    for (const r of stored) logged.notified.set(r.userId, r.highlight);
  };
}

/** The joined members after a member event, from those before it (the event's state before says what the target was). */
async function withMemberChange(before: JoinedMembers, context: PersistContext, events: EventStore, isLocal: (userId: string) => boolean): Promise<JoinedMembers> {
  const target = context.event.state_key as string;
  const prevId = context.stateBefore.get(stateKey("m.room.member", target));
  const prev = prevId === undefined ? undefined : (await events.getByIds([prevId], context.tx.db)).get(prevId);
  const wasJoined = prev?.pdu.content["membership"] === "join";
  const isJoined = context.event.content["membership"] === "join";
  if (wasJoined === isJoined) return before;
  const local = isLocal(target) ? (isJoined ? [...before.local, target] : before.local.filter((u) => u !== target)) : before.local;
  return { local, count: before.count + (isJoined ? 1 : -1) };
}

/**
 * What the conditions read about the event: the event itself, the joined member count, and power
 * levels as they were before the event (its auth state), read only when a rule asks.
 */
async function eventEnvironment(context: PersistContext, events: EventStore, memberCount: number): Promise<EventEnvironment> {
  const { head, tx } = context;
  const keys = [stateKey("m.room.create", ""), stateKey("m.room.power_levels", "")];
  const ids = keys.map((k) => context.stateBefore.get(k)).filter((id): id is string => id !== undefined);
  const found = await events.getByIds(ids, tx.db);
  const state = new Map<StateKey, RoomEvent>();
  for (const stored of found.values()) {
    const e = roomEventOf(stored, head.version);
    state.set(stateKey(e.type, e.state_key ?? ""), e);
  }
  const levels = readPowerLevels(head.version, state.get(stateKey("m.room.power_levels", ""))?.content);
  let senderLevel: number | undefined;
  return {
    event: context.event as unknown as Record<string, unknown>,
    roomMemberCount: memberCount,
    senderPowerLevel: () => (senderLevel ??= userPowerLevel(head.version, context.event.sender, authStateFromMap(state))),
    notificationPowerLevel: (key) => notificationPowerLevel(levels, key),
  };
}

/** Display names in the room (after the event) of the users whose enabled rules look for them. */
async function displayNames(context: PersistContext, events: EventStore, rulesets: ReadonlyMap<string, CompiledRuleset>): Promise<Map<string, string>> {
  const wanted = new Map<string, string>();
  for (const [userId, ruleset] of rulesets) {
    if (!ruleset.usesDisplayName) continue;
    const id = context.stateAfter.get(stateKey("m.room.member", userId));
    if (id !== undefined) wanted.set(id, userId);
  }
  const out = new Map<string, string>();
  if (wanted.size === 0) return out;
  for (const [id, stored] of await events.getByIds([...wanted.keys()], context.tx.db)) {
    const name = stored.pdu.content["displayname"];
    if (typeof name === "string") out.set(wanted.get(id) as string, name);
  }
  return out;
}
