/**
 * `PUT /_matrix/federation/v1/send/{txnId}` (server-server API "Transactions"): a transaction from
 * another server, processed once per (origin, transaction ID) — a retry gets the first answer — and
 * one at a time per origin. Each EDU goes to the handler of its type; one that fails is logged and
 * the others go on, so one bad EDU never fails the transaction.
 */
import { MatrixError } from "../../errors.js";
import type { Logger } from "../../logger.js";
import { isJsonObject, type JsonObject } from "../../protocol/json.js";
import type { FederationOutboxStore } from "../../storage/federation-outbox-store.js";
import type { Clock } from "../clock.js";
import { RoomLinearizer } from "../rooms/room-linearizer.js";

export type EduHandler = (origin: string, content: JsonObject) => Promise<void>;

/** Processes a transaction's PDUs; answers `{}` or `{error}` per event ID (inbound-pdu.ts). */
export type PduHandler = (origin: string, pdus: readonly unknown[]) => Promise<Record<string, JsonObject>>;

export interface InboundTransaction {
  origin: string;
  origin_server_ts: number;
  pdus: unknown[];
  edus?: unknown[] | undefined;
}

export class TransactionReceiver {
  private readonly handlers = new Map<string, EduHandler>();
  private readonly perOrigin = new RoomLinearizer();
  private pduHandler: PduHandler | undefined;

  constructor(
    private readonly store: FederationOutboxStore,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  setPduHandler(handler: PduHandler): void {
    this.pduHandler = handler;
  }

  addEduHandler(eduType: string, handler: EduHandler): void {
    this.handlers.set(eduType, handler);
  }

  async receive(origin: string, txnId: string, transaction: InboundTransaction): Promise<{ pdus: Record<string, JsonObject> }> {
    if (transaction.origin !== origin) throw new MatrixError(403, "M_FORBIDDEN", "The transaction's origin is not the server that signed it");
    if (transaction.pdus.length > 50 || (transaction.edus?.length ?? 0) > 100) {
      throw new MatrixError(400, "M_BAD_JSON", "A transaction holds at most 50 PDUs and 100 EDUs");
    }
    return this.perOrigin.run(origin, async () => {
      const previous = await this.store.inboundResponse(origin, txnId);
      if (previous !== undefined) return JSON.parse(previous) as { pdus: Record<string, JsonObject> };
      const response: { pdus: Record<string, JsonObject> } = { pdus: {} };
      if (transaction.pdus.length > 0 && this.pduHandler) response.pdus = await this.pduHandler(origin, transaction.pdus);
      for (const edu of transaction.edus ?? []) await this.handleEdu(origin, edu);
      await this.store.recordInbound(origin, txnId, JSON.stringify(response), this.clock.now());
      return response;
    });
  }

  private async handleEdu(origin: string, edu: unknown): Promise<void> {
    if (!isJsonObject(edu) || typeof edu["edu_type"] !== "string" || !isJsonObject(edu["content"])) {
      this.log.info({ origin }, "malformed EDU ignored");
      return;
    }
    const handler = this.handlers.get(edu["edu_type"]);
    if (!handler) return; // EDU types we do not handle (yet) are ignored, as the spec allows
    try {
      await handler(origin, edu["content"]);
    } catch (error) {
      this.log.info({ origin, eduType: edu["edu_type"], error: (error as Error).message }, "EDU refused");
    }
  }
}
