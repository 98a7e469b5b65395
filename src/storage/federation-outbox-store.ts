/** The federation outbox and the record of received transactions (server-server API "Transactions"). */
import type { Db, Executor } from "./db.js";

export interface OutboxRow {
  id: number;
  kind: "edu" | "pdu";
  body: string;
}

export class FederationOutboxStore {
  constructor(private readonly db: Db) {}

  async add(executor: Executor, destination: string, kind: "edu" | "pdu", body: string, now: number): Promise<void> {
    await executor.insertInto("federation_outbox").values({ destination, kind, body, created_ts: now }).execute();
  }

  /** The oldest waiting rows of a destination: at most `pdus` PDUs and `edus` EDUs. */
  async next(destination: string, pdus: number, edus: number): Promise<OutboxRow[]> {
    const read = (kind: "edu" | "pdu", limit: number) =>
      this.db.kysely.selectFrom("federation_outbox").select(["id", "body"]).where("destination", "=", destination).where("kind", "=", kind).orderBy("id").limit(limit).execute();
    const [p, e] = await Promise.all([read("pdu", pdus), read("edu", edus)]);
    return [...p.map((r) => ({ id: Number(r.id), kind: "pdu" as const, body: r.body })), ...e.map((r) => ({ id: Number(r.id), kind: "edu" as const, body: r.body }))];
  }

  async remove(ids: readonly number[]): Promise<void> {
    for (let i = 0; i < ids.length; i += 500) await this.db.kysely.deleteFrom("federation_outbox").where("id", "in", ids.slice(i, i + 500)).execute();
  }

  /**
   * Catch-up after a long outage: when more than `max` PDUs wait for a destination, all but the newest
   * of each room are dropped (the destination fetches what it missed with /get_missing_events,
   * /state_ids and /backfill). Returns how many were dropped.
   */
  async collapsePdus(destination: string, max: number): Promise<number> {
    const pending = await this.db.kysely
      .selectFrom("federation_outbox")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("destination", "=", destination)
      .where("kind", "=", "pdu")
      .executeTakeFirst();
    if (Number(pending?.n ?? 0) <= max) return 0;
    const rows = await this.db.kysely.selectFrom("federation_outbox").select(["id", "body"]).where("destination", "=", destination).where("kind", "=", "pdu").orderBy("id").execute();
    const newest = new Map<string, number>();
    for (const row of rows) newest.set(roomOf(row.body), Number(row.id));
    const keep = new Set(newest.values());
    const drop = rows.map((r) => Number(r.id)).filter((id) => !keep.has(id));
    await this.remove(drop);
    return drop.length;
  }

  /** Destinations with something waiting (to resume sending after a restart). */
  async destinations(): Promise<string[]> {
    return (await this.db.kysely.selectFrom("federation_outbox").select("destination").distinct().execute()).map((r) => r.destination);
  }

  async inboundResponse(origin: string, txnId: string): Promise<string | undefined> {
    const row = await this.db.kysely.selectFrom("federation_inbound_txns").select("response").where("origin", "=", origin).where("txn_id", "=", txnId).executeTakeFirst();
    return row?.response;
  }

  async recordInbound(origin: string, txnId: string, response: string, now: number): Promise<void> {
    await this.db.kysely
      .insertInto("federation_inbound_txns")
      .values({ origin, txn_id: txnId, response, received_ts: now })
      .onConflict((oc) => oc.columns(["origin", "txn_id"]).doNothing())
      .execute();
  }
}

function roomOf(body: string): string {
  const roomId = (JSON.parse(body) as { room_id?: unknown }).room_id;
  return typeof roomId === "string" ? roomId : "";
}
