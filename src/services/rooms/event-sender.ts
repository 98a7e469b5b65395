/**
 * Sends this server's events into a room: under the room's linearizer, builds the event against the
 * current head, checks its format and size and the auth rules against the state before it, then
 * persists it. Also builds chains of events against a head that is not persisted yet (room creation).
 */
import { MatrixError } from "../../errors.js";
import { AuthError, authStateFromMap } from "../../protocol/auth/auth-state.js";
import { checkEventAuth } from "../../protocol/auth/check-auth.js";
import { stateKey, type Pdu, type RoomEvent, type StateKey } from "../../protocol/event.js";
import { checkPduFormat, PduFormatError } from "../../protocol/pdu-format.js";
import { CanonicalJsonError } from "../../protocol/canonical-json.js";
import type { EventStore, StoredEvent } from "../../storage/event-store.js";
import type { Clock } from "../clock.js";
import type { RoomHead } from "./current-state.js";
import type { CurrentStateCache } from "./current-state.js";
import type { EventBuilder, EventDraft } from "./event-builder.js";
import type { EventPersister, PersistedEvent, PersistRequest } from "./event-persister.js";
import type { RoomLinearizer } from "./room-linearizer.js";
import { roomEventOf } from "./room-event-view.js";

export type Draft = Omit<EventDraft, "originServerTs">;

/**
 * Auth rules that refuse the content's shape (a power level that is not an integer, a member event
 * without a membership) rather than the sender's right: malformed input, so 400 M_BAD_JSON as
 * Synapse's event validator answers, not 403.
 */
const MALFORMED_CONTENT_RULES: ReadonlySet<string> = new Set([
  "power_levels.level",
  "power_levels.users",
  "power_levels.events",
  "power_levels.notifications",
  "member.shape",
  "member.unknown",
]);

/** An event built but perhaps not persisted yet, enough to reference it from the next one. */
export interface BuiltRef {
  eventId: string;
  pdu: Pdu;
  depth: number;
  event: RoomEvent;
}

export interface SendOptions {
  txn?: PersistRequest["txn"];
  threadId?: string | null;
  /** Extra checks against the head, run under the linearizer before building (e.g. membership rules of the API). */
  check?: (head: RoomHead) => Promise<void> | void;
  /** Completes the draft from the head it will be built on (content that depends on the current state). */
  draft?: (head: RoomHead) => Promise<Partial<Draft>>;
}

/** Most prev_events an event cites; the spec's limit is 20, and fewer keep events small. */
const MAX_PREV_EVENTS = 10;

export class EventSender {
  constructor(
    private readonly builder: EventBuilder,
    private readonly persister: EventPersister,
    private readonly cache: CurrentStateCache,
    private readonly events: EventStore,
    private readonly linearizer: RoomLinearizer,
    private readonly clock: Clock,
  ) {}

  /** Builds, authorises and persists one local event in an existing room. */
  async send(roomId: string, draft: Draft, options: SendOptions = {}): Promise<PersistedEvent> {
    return this.linearizer.run(roomId, async () => {
      const head = await this.cache.head(roomId);
      if (options.check) await options.check(head);
      const completed = options.draft ? { ...draft, ...(await options.draft(head)) } : draft;
      const built = await this.build(head, completed, new Map());
      return this.persister.persist({
        head,
        pdu: built.pdu,
        event: built.event,
        stateBefore: head.state,
        snapshotBefore: head.snapshot,
        createdHere: true,
        ...(options.txn ? { txn: options.txn } : {}),
        ...(options.threadId !== undefined ? { threadId: options.threadId } : {}),
      });
    });
  }

  /**
   * Builds an event against `head` (which may include events not persisted yet, given in `pending`),
   * checks its format and the auth rules, and returns it.
   */
  async build(head: RoomHead, draft: Draft, pending: ReadonlyMap<string, BuiltRef>): Promise<BuiltRef> {
    const { version } = head;
    const full: EventDraft = { ...draft, originServerTs: this.clock.now() };
    const authIds = this.builder.authEventIds(version, full, head.state);
    const extremities = head.extremities.slice(-MAX_PREV_EVENTS);
    const refs = await this.refs([...new Set([...extremities, ...authIds])], pending);
    const prevEvents = extremities.map((id) => refs.get(id)).filter((e): e is StoredEvent => e !== undefined);
    const built = this.builder.build(full, { version, ...(head.room.roomId && !(version.roomIdFromCreateEvent && draft.type === "m.room.create") ? { roomId: head.room.roomId } : {}), state: head.state, prevEvents, authEvents: refs }, authIds);
    try {
      checkPduFormat(built.pdu, version);
    } catch (error) {
      if (error instanceof PduFormatError) {
        const tooLarge = /longer than|larger than|too many/i.test(error.message);
        throw new MatrixError(tooLarge ? 413 : 400, tooLarge ? "M_TOO_LARGE" : "M_BAD_JSON", error.message);
      }
      throw error;
    }
    const authState = new Map<StateKey, RoomEvent>();
    for (const id of authIds) {
      const ref = refs.get(id) as StoredEvent;
      const event = pending.get(id)?.event ?? roomEventOf(ref, version);
      authState.set(stateKey(event.type, event.state_key ?? ""), event);
    }
    // v12: the create event is never in auth_events but the rules read it.
    const createId = head.state.get(stateKey("m.room.create", ""));
    if (createId !== undefined && !authState.has(stateKey("m.room.create", ""))) {
      const create = pending.get(createId)?.event ?? roomEventOf((await this.refs([createId], pending)).get(createId) as StoredEvent, version);
      authState.set(stateKey("m.room.create", ""), create);
    }
    try {
      checkEventAuth(version, built.event, authStateFromMap(authState));
    } catch (error) {
      if (error instanceof AuthError) {
        throw MALFORMED_CONTENT_RULES.has(error.rule) ? new MatrixError(400, "M_BAD_JSON", error.message) : new MatrixError(403, "M_FORBIDDEN", error.message);
      }
      if (error instanceof CanonicalJsonError) throw new MatrixError(400, "M_BAD_JSON", error.message);
      throw error;
    }
    return { eventId: built.event.event_id, pdu: built.pdu, depth: Number(built.pdu.depth), event: built.event };
  }

  private async refs(ids: readonly string[], pending: ReadonlyMap<string, BuiltRef>): Promise<Map<string, StoredEvent>> {
    const out = new Map<string, StoredEvent>();
    const missing: string[] = [];
    for (const id of ids) {
      const p = pending.get(id);
      if (p) out.set(id, { eventId: p.eventId, pdu: p.pdu, depth: p.depth } as StoredEvent);
      else missing.push(id);
    }
    if (missing.length > 0) for (const [id, stored] of await this.events.getByIds(missing)) out.set(id, stored);
    return out;
  }
}
