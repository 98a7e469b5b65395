/**
 * Client writes to rooms other than membership: messages (with transaction-ID idempotency), state
 * events and redactions. The auth rules decide what is allowed; this adds the API's own checks.
 */
import { MatrixError } from "../../errors.js";
import { isValidEventId } from "../../protocol/identifiers.js";
import type { JsonObject } from "../../protocol/json.js";
import { EventStore } from "../../storage/event-store.js";
import type { Requester } from "../accounts/requester.js";
import type { CurrentStateCache, RoomHead } from "./current-state.js";
import type { EventSender } from "./event-sender.js";
import { relationOf } from "./room-event-view.js";
import type { RoomStateReader } from "./room-state-reader.js";
import { refuseIfSuspended } from "../accounts/suspension.js";
import { parseServerAcl, serverAllowedByAcl } from "../../protocol/server-acl.js";

export class RoomWrites {
  /** Sends with a transaction ID that are being processed, by room, user, device and transaction ID. */
  private readonly inFlight = new Map<string, Promise<{ event_id: string }>>();

  constructor(
    private readonly sender: EventSender,
    private readonly cache: CurrentStateCache,
    private readonly reader: RoomStateReader,
    private readonly events: EventStore,
    private readonly serverName: string,
  ) {}

  private txnOf(requester: Requester, txnId: string | undefined): { userId: string; deviceId: string; txnId: string } | undefined {
    if (txnId === undefined) return undefined;
    // Tokens without a device (admin puppets) scope transaction IDs by token.
    return { userId: requester.userId, deviceId: requester.deviceId ?? `token:${requester.tokenId}`, txnId };
  }

  /**
   * Sends an event; a retry with the same transaction ID returns the first event's ID. A retry that
   * arrives while the first request is still being processed waits for it instead of sending twice.
   */
  private sendOnce(
    roomId: string,
    requester: Requester,
    txnId: string | undefined,
    draft: { type: string; content: JsonObject; stateKey?: string; redacts?: string },
    check?: (head: RoomHead) => Promise<void>,
  ): Promise<{ event_id: string }> {
    const txn = this.txnOf(requester, txnId);
    if (!txn) return this.sendNow(roomId, requester, undefined, draft, check);
    // Registered before the first await, so a concurrent retry always finds it; removed only after the
    // event committed, when the database answers retries.
    const key = JSON.stringify([roomId, txn.userId, txn.deviceId, txn.txnId]);
    const running = this.inFlight.get(key);
    if (running) return running;
    const result = this.sendNow(roomId, requester, txn, draft, check).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, result);
    return result;
  }

  private async sendNow(
    roomId: string,
    requester: Requester,
    txn: { userId: string; deviceId: string; txnId: string } | undefined,
    draft: { type: string; content: JsonObject; stateKey?: string; redacts?: string },
    check?: (head: RoomHead) => Promise<void>,
  ): Promise<{ event_id: string }> {
    const threadId = await this.threadOf(draft.content);
    try {
      const persisted = await this.sender.send(
        roomId,
        { ...draft, sender: requester.userId },
        { ...(txn ? { txn } : {}), threadId, ...(check ? { check } : {}) },
      );
      return { event_id: persisted.stored.eventId };
    } catch (error) {
      // A retry is found by the transaction ID's unique key as the event is written, rather than
      // looked up before every send (a round trip on PostgreSQL for the rare retry): the new event
      // is not stored and the retry gets the event its first attempt stored.
      if (!txn || !EventStore.isDuplicateTxn(error)) throw error;
      const { room } = await this.cache.head(roomId);
      const existing = await this.events.findTxn(room.roomNid, txn.userId, txn.deviceId, txn.txnId);
      if (!existing) throw error;
      return { event_id: existing };
    }
  }

  /** The thread an event belongs to: its m.thread root, or the thread of the event it relates to. */
  private async threadOf(content: JsonObject): Promise<string | null> {
    const relation = relationOf(content);
    if (!relation) return null;
    if (relation.relType === "m.thread") return relation.eventId;
    const target = await this.events.getById(relation.eventId);
    const targetRelation = target ? relationOf(target.pdu.content) : undefined;
    return targetRelation?.relType === "m.thread" ? targetRelation.eventId : null;
  }

  async sendMessage(roomId: string, requester: Requester, type: string, content: JsonObject, txnId: string | undefined): Promise<{ event_id: string }> {
    if (type === "m.room.redaction") {
      const redacts = content["redacts"];
      if (typeof redacts !== "string") throw new MatrixError(400, "M_BAD_JSON", "m.room.redaction needs redacts");
      return this.redact(roomId, requester, redacts, content, txnId);
    }
    refuseIfSuspended(requester);
    await this.cache.head(roomId);
    return this.sendOnce(roomId, requester, txnId, { type, content });
  }

  async sendState(roomId: string, requester: Requester, type: string, stateKey: string, content: JsonObject): Promise<{ event_id: string }> {
    // A suspended user may still leave by setting their own membership (spec: leaving is allowed).
    if (!(type === "m.room.member" && stateKey === requester.userId && content["membership"] === "leave")) refuseIfSuspended(requester);
    await this.cache.head(roomId);
    // A state key that starts with @ belongs to that user (auth rules), checked there.
    return this.sendOnce(roomId, requester, undefined, { type, content, stateKey }, async (head) => {
      if (type === "m.room.canonical_alias") await this.checkCanonicalAlias(head, content);
      // An ACL that denies this server would cut it off from its own room: refused, as Synapse does.
      if (type === "m.room.server_acl" && stateKey === "" && !serverAllowedByAcl(parseServerAcl(content), this.serverName)) {
        throw new MatrixError(400, "M_INVALID_PARAM", "This server ACL would deny this server itself");
      }
    });
  }

  /**
   * The alias and alt_aliases of m.room.canonical_alias must point at this room (spec); aliases the
   * current event already lists are not checked again ("Servers do not validate aliases which are
   * being removed or are already present in the state event").
   */
  private async checkCanonicalAlias(head: RoomHead, content: JsonObject): Promise<void> {
    const listed = (c: JsonObject | undefined): unknown[] => [c?.["alias"], ...(Array.isArray(c?.["alt_aliases"]) ? (c?.["alt_aliases"] as unknown[]) : [])];
    const present = new Set(listed(await this.reader.content(head, "m.room.canonical_alias")));
    const aliases = listed(content).filter((a) => a !== undefined && a !== null);
    for (const alias of aliases) {
      if (typeof alias !== "string") throw new MatrixError(400, "M_INVALID_PARAM", "Aliases must be strings");
      if (!this.aliasChecker || present.has(alias)) continue;
      if ((await this.aliasChecker(alias)) !== head.room.roomId) throw new MatrixError(400, "M_BAD_ALIAS", `${alias} does not point to this room`);
    }
  }

  private aliasChecker: ((alias: string) => Promise<string | undefined>) | undefined;

  /** Wired by context.ts: resolves an alias to its room (the directory), for canonical alias checks. */
  setAliasChecker(checker: (alias: string) => Promise<string | undefined>): void {
    this.aliasChecker = checker;
  }

  /** PUT /rooms/{roomId}/redact/{eventId}/{txnId}. */
  async redact(roomId: string, requester: Requester, eventId: string, content: JsonObject, txnId: string | undefined): Promise<{ event_id: string }> {
    // Unknown events may be redacted, but not something that cannot be an event ID at all.
    if (!isValidEventId(eventId)) throw new MatrixError(400, "M_INVALID_PARAM", "Invalid event ID");
    await this.cache.head(roomId);
    const { redacts: _ignored, ...rest } = content;
    return this.sendOnce(roomId, requester, txnId, { type: "m.room.redaction", content: rest, redacts: eventId }, async (head) => {
      const target = await this.events.getById(eventId);
      if (!target || target.roomNid !== head.room.roomNid) return; // redacting unknown events is allowed (spec)
      if (target.pdu.sender === requester.userId) return;
      refuseIfSuspended(requester);
      const levels = await this.reader.powerLevels(head);
      if ((await this.reader.userPower(head, requester.userId)) < levels.redact) {
        throw new MatrixError(403, "M_FORBIDDEN", "You cannot redact other users' events");
      }
    });
  }
}
