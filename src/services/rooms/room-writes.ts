/**
 * Client writes to rooms other than membership: messages (with transaction-ID idempotency), state
 * events and redactions. The auth rules decide what is allowed; this adds the API's own checks.
 */
import { MatrixError } from "../../errors.js";
import type { JsonObject } from "../../protocol/json.js";
import type { EventStore } from "../../storage/event-store.js";
import type { Requester } from "../accounts/requester.js";
import type { CurrentStateCache, RoomHead } from "./current-state.js";
import type { EventSender } from "./event-sender.js";
import { relationOf } from "./room-event-view.js";
import type { RoomStateReader } from "./room-state-reader.js";

/** Thrown inside the linearizer when a retried transaction ID already produced an event. */
class AlreadySent extends Error {
  constructor(readonly eventId: string) {
    super("already sent");
  }
}

export class RoomWrites {
  constructor(
    private readonly sender: EventSender,
    private readonly cache: CurrentStateCache,
    private readonly reader: RoomStateReader,
    private readonly events: EventStore,
  ) {}

  private txnOf(requester: Requester, txnId: string | undefined): { userId: string; deviceId: string; txnId: string } | undefined {
    if (txnId === undefined) return undefined;
    // Tokens without a device (admin puppets) scope transaction IDs by token.
    return { userId: requester.userId, deviceId: requester.deviceId ?? `token:${requester.tokenId}`, txnId };
  }

  /** Sends an event; a retry with the same transaction ID returns the first event's ID. */
  private async sendOnce(
    roomId: string,
    requester: Requester,
    txnId: string | undefined,
    draft: { type: string; content: JsonObject; stateKey?: string; redacts?: string },
    check?: (head: RoomHead) => Promise<void>,
  ): Promise<{ event_id: string }> {
    const txn = this.txnOf(requester, txnId);
    const { room } = await this.cache.head(roomId);
    if (txn) {
      const existing = await this.events.findTxn(room.roomNid, txn.userId, txn.deviceId, txn.txnId);
      if (existing) return { event_id: existing };
    }
    try {
      const threadId = await this.threadOf(draft.content);
      const persisted = await this.sender.send(
        roomId,
        { ...draft, sender: requester.userId },
        {
          ...(txn ? { txn } : {}),
          threadId,
          check: async (head) => {
            // Checked again under the room's linearizer: a concurrent retry has committed by now.
            if (txn) {
              const existing = await this.events.findTxn(room.roomNid, txn.userId, txn.deviceId, txn.txnId);
              if (existing) throw new AlreadySent(existing);
            }
            if (check) await check(head);
          },
        },
      );
      return { event_id: persisted.stored.eventId };
    } catch (error) {
      if (error instanceof AlreadySent) return { event_id: error.eventId };
      throw error;
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
    await this.cache.head(roomId);
    return this.sendOnce(roomId, requester, txnId, { type, content });
  }

  async sendState(roomId: string, requester: Requester, type: string, stateKey: string, content: JsonObject): Promise<{ event_id: string }> {
    await this.cache.head(roomId);
    // A state key that starts with @ belongs to that user (auth rules), checked there.
    return this.sendOnce(roomId, requester, undefined, { type, content, stateKey }, async (head) => {
      if (type === "m.room.canonical_alias") await this.checkCanonicalAlias(head, content);
    });
  }

  /** The alias and alt_aliases of m.room.canonical_alias must point at this room (spec). */
  private async checkCanonicalAlias(head: RoomHead, content: JsonObject): Promise<void> {
    const aliases = [content["alias"], ...(Array.isArray(content["alt_aliases"]) ? content["alt_aliases"] : [])].filter((a) => a !== undefined && a !== null);
    for (const alias of aliases) {
      if (typeof alias !== "string") throw new MatrixError(400, "M_INVALID_PARAM", "Aliases must be strings");
      if (!this.aliasChecker) continue;
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
    await this.cache.head(roomId);
    const { redacts: _ignored, ...rest } = content;
    return this.sendOnce(roomId, requester, txnId, { type: "m.room.redaction", content: rest, redacts: eventId }, async (head) => {
      const target = await this.events.getById(eventId);
      if (!target || target.roomNid !== head.room.roomNid) return; // redacting unknown events is allowed (spec)
      if (target.pdu.sender === requester.userId) return;
      const levels = await this.reader.powerLevels(head);
      if ((await this.reader.userPower(head, requester.userId)) < levels.redact) {
        throw new MatrixError(403, "M_FORBIDDEN", "You cannot redact other users' events");
      }
    });
  }
}
