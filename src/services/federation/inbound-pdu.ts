/**
 * Room events received in `/send` transactions (server-server API "Checks performed on receipt of a
 * PDU"): format, signatures and content hash (a bad hash keeps the redacted form), already known
 * events skipped, prev_events required (missing ones fetched once with /get_missing_events), the
 * auth rules against the event's auth events and against the state before it, then the persist
 * pipeline, which wakes /sync of local members. One bad PDU never fails the others: each gets `{}`
 * or `{error}` in the answer.
 */
import type { Logger } from "../../logger.js";
import { computeEventId } from "../../protocol/event-id.js";
import { isJsonObject, type JsonObject } from "../../protocol/json.js";
import type { EventStore } from "../../storage/event-store.js";
import type { CurrentStateCache } from "../rooms/current-state.js";
import type { EventPersister } from "../rooms/event-persister.js";
import type { RoomLinearizer } from "../rooms/room-linearizer.js";
import type { EventChecker } from "./event-checks.js";
import { authByAuthEvents, authByState, authEventIdsNeeded, stateIdsNeeded, storedLookup } from "./event-checks-auth.js";
import type { StateBeforeResolver } from "./inbound-pdu-state.js";
import { resolveWithFork, stateAfter } from "./fork-resolution.js";
import { fetchMissingEvents, type MissingEventsSource } from "./inbound-pdu-missing.js";
import type { RoomHead } from "../rooms/current-state.js";
import type { Pdu, RoomEvent, StateKey } from "../../protocol/event.js";

type Outcome = JsonObject;

export interface GapFiller {
  ensure(destination: string, head: RoomHead, ids: readonly string[]): Promise<Set<string>>;
  stateBefore(destination: string, head: RoomHead, eventId: string): Promise<Map<StateKey, string> | undefined>;
}

interface Accepted {
  readonly pdu: Pdu;
  readonly event: RoomEvent;
}

export class InboundPdus {
  constructor(
    private readonly checker: EventChecker,
    private readonly cache: CurrentStateCache,
    private readonly events: EventStore,
    private readonly resolver: StateBeforeResolver,
    private readonly persister: EventPersister,
    private readonly linearizer: RoomLinearizer,
    private readonly remote: MissingEventsSource,
    private readonly log: Logger,
    /** Fetches what /get_missing_events did not give: auth events (outliers) and the state before an event. */
    private readonly gaps?: GapFiller,
  ) {}

  /** Processes the PDUs of one transaction from `origin`, parents before children; the answer per event ID. */
  async receive(origin: string, pdus: readonly unknown[]): Promise<Record<string, Outcome>> {
    const answer: Record<string, Outcome> = {};
    const accepted: Accepted[] = [];
    for (const raw of pdus) {
      const roomId = isJsonObject(raw) && typeof raw["room_id"] === "string" ? raw["room_id"] : undefined;
      const head = roomId === undefined ? undefined : await this.cache.find(roomId);
      if (!head) {
        // Without the room we do not know its version, so not even the event ID: nothing to answer.
        this.log.debug({ origin, roomId }, "PDU for a room we are not in ignored");
        continue;
      }
      const checked = await this.checker.check(raw, head.version);
      if (!checked.ok) {
        const id = idOf(raw, head);
        if (id !== undefined) answer[id] = { error: checked.reason };
        this.log.info({ origin, eventId: id, reason: checked.reason }, "PDU dropped");
        continue;
      }
      accepted.push(checked);
    }
    // Within a transaction a child may come before its parent; depth puts parents first.
    accepted.sort((a, b) => (a.event.depth ?? 0) - (b.event.depth ?? 0));
    for (const { pdu, event } of accepted) {
      try {
        answer[event.event_id] = await this.linearizer.run(event.room_id, () => this.process(origin, pdu, event, true));
      } catch (error) {
        this.log.warn({ origin, eventId: event.event_id, error: (error as Error).message }, "PDU processing failed");
        answer[event.event_id] = { error: "internal error while processing the event" };
      }
      if (answer[event.event_id]?.["error"] !== undefined) this.log.info({ origin, eventId: event.event_id, reason: answer[event.event_id]?.["error"] }, "PDU refused");
    }
    return answer;
  }

  /** Runs under the room's linearizer. */
  private async process(origin: string, pdu: Pdu, event: RoomEvent, mayFetch: boolean): Promise<Outcome> {
    const head = await this.cache.head(event.room_id);
    if (await this.events.getById(event.event_id)) return {};
    let before = await this.resolver.stateBefore(head, event);
    if (!before.ok && mayFetch) {
      const fetched = await fetchMissingEvents(this.remote, this.checker, origin, head, event);
      for (const missing of fetched) {
        const outcome = await this.process(origin, missing.pdu, missing.event, false);
        if (outcome["error"] !== undefined) this.log.info({ origin, eventId: missing.event.event_id, reason: outcome["error"] }, "fetched missing event refused");
      }
      before = await this.resolver.stateBefore(await this.cache.head(event.room_id), event);
    }
    if (!before.ok && this.gaps) {
      // A gap /get_missing_events did not fill: the origin says what the state before the event is,
      // and the unknown prev events stay unknown (as Synapse does).
      const state = await this.gaps.stateBefore(origin, await this.cache.head(event.room_id), event.event_id);
      if (state) before = { ok: true, state, snapshot: null };
    }
    if (!before.ok) return { error: `prev_events unknown to us: ${before.missing.join(", ")}` };
    const current = await this.cache.head(event.room_id);
    const authIds = authEventIdsNeeded(current.version, event);
    const known = await this.events.getByIds(authIds);
    let unknown = authIds.filter((id) => !known.has(id));
    // With partial state the sender's membership is usually one of the events we never received; after
    // a gap, auth events may be missing too.
    if (unknown.length > 0 && this.gaps) unknown = [...(await this.gaps.ensure(origin, current, unknown))];
    // Not knowing an auth event is not a verdict on the event: refuse it now, it may come again.
    if (unknown.length > 0) return { error: `auth events unknown to us: ${unknown.join(", ")}` };
    const lookup = await storedLookup(this.events, current.version, [...authIds, ...stateIdsNeeded(current.version, event, before.state)]);
    const request = { head: current, pdu, event, stateBefore: before.state, snapshotBefore: before.snapshot };
    // With partial state the state before lacks most members: only the auth events can judge (Synapse
    // does the same until the room's state is complete).
    const partial = current.room.partialState;
    // Rejected events are kept (spec: they are part of the graph; their children may be fine) but
    // change nothing, and are never answered again as if new.
    const refusal = authByAuthEvents(current.version, event, lookup) ?? (partial ? undefined : withContext(authByState(current.version, event, before.state, lookup), "against the state before it"));
    if (refusal !== undefined) {
      await this.persister.persist({ ...request, status: { rejected: refusal } });
      return { error: refusal };
    }
    if (before.state === current.state) {
      await this.persister.persist(request);
      return {};
    }
    // A fork: the event must also pass against the current state, else it is soft-failed (a user
    // banned on our side cannot get in through an old branch); an accepted one changes the current
    // state by state resolution.
    const currentLookup = await storedLookup(this.events, current.version, stateIdsNeeded(current.version, event, current.state));
    const softFailure = partial ? undefined : authByState(current.version, event, current.state, currentLookup);
    if (softFailure !== undefined) {
      this.log.info({ origin, eventId: event.event_id, reason: softFailure }, "PDU soft-failed against the current state");
      await this.persister.persist({ ...request, status: { softFailed: true } });
      return {};
    }
    const resolved = await resolveWithFork(this.events, current.version, current.state, stateAfter(before.state, event), event);
    await this.persister.persist({ ...request, currentState: resolved });
    return {};
  }
}

function withContext(reason: string | undefined, context: string): string | undefined {
  return reason === undefined ? undefined : `${reason} (${context})`;
}

/** The event ID of a PDU that failed its checks, when one can be told (for the answer). */
function idOf(raw: unknown, head: RoomHead): string | undefined {
  try {
    return computeEventId(raw as object, head.version);
  } catch {
    return undefined;
  }
}
