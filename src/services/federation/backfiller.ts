/**
 * Fetching room history from other servers when a local client pages back past what we hold
 * (server-server API "Backfilling and retrieving missing events"): the gaps below the point the
 * client reached are found (backward extremities: prev events we do not hold as timeline events),
 * and a server with joined members is asked for /backfill from them; the answer is checked and
 * stored (backfill-persist.ts). The spec leaves the choice of server open; like Synapse we try the
 * servers in the room one after the other until one gives events we could store.
 */
import type { Logger } from "../../logger.js";
import type { BackfillStore } from "../../storage/backfill-store.js";
import type { Db } from "../../storage/db.js";
import type { FederatedRoomStore } from "../../storage/federated-room-store.js";
import type { CurrentStateCache } from "../rooms/current-state.js";
import type { BackfillPersister } from "./backfill-persist.js";
import type { RemoteHistory } from "./remote-history.js";

export type BackfillOutcome = "none" | "filled" | "unfilled";

/** Events asked for per request (Synapse asks for 100). */
const BACKFILL_LIMIT = 100;
/** Gaps asked about at once. */
const MAX_EXTREMITIES = 10;
/** Servers tried per backfill. */
const MAX_SERVERS = 5;

export class Backfiller {
  /** One backfill per room and depth range at a time: a second pagination waits for the first one's result. */
  private readonly running = new Map<string, Promise<BackfillOutcome>>();

  constructor(
    private readonly db: Db,
    private readonly cache: CurrentStateCache,
    private readonly federatedRooms: FederatedRoomStore,
    private readonly store: BackfillStore,
    private readonly remote: RemoteHistory,
    private readonly persister: BackfillPersister,
    private readonly log: Logger,
    /** Whether a server looks down (our outbox is backing off from it). */
    private readonly looksDown: (server: string) => boolean = () => false,
  ) {}

  /**
   * Fills gaps of a room's history at depths in (minDepth, maxDepth] from other servers. Never
   * throws: a failed backfill leaves /messages with what we hold.
   */
  backfill(roomId: string, maxDepth: number, minDepth: number): Promise<BackfillOutcome> {
    const key = `${roomId}\u0000${maxDepth}\u0000${minDepth}`;
    const pending = this.running.get(key);
    if (pending) return pending;
    const run = this.backfillOnce(roomId, maxDepth, minDepth)
      .catch((error: unknown) => {
        this.log.warn({ roomId, error: (error as Error).message }, "backfill failed");
        return "unfilled" as const;
      })
      .finally(() => this.running.delete(key));
    this.running.set(key, run);
    return run;
  }

  private async backfillOnce(roomId: string, maxDepth: number, minDepth: number): Promise<BackfillOutcome> {
    const head = await this.cache.find(roomId);
    if (!head) return "none";
    const gaps = await this.store.backwardExtremities(this.db.kysely, head.room.roomNid, maxDepth, minDepth, MAX_EXTREMITIES);
    if (gaps.length === 0) return "none";
    // Servers our outbox cannot reach right now are asked last (a /messages request must not wait out
    // the timeouts of dead servers while live ones hold the history).
    const joined = [...(await this.federatedRooms.joinedServers(this.db.kysely, head.room.roomNid, false))];
    const servers = [...joined.filter((s) => !this.looksDown(s)), ...joined.filter((s) => this.looksDown(s))].slice(0, MAX_SERVERS);
    const from = gaps.map((g) => g.missingEventId);
    for (const server of servers) {
      const batch = await this.remote.backfill(server, roomId, head.version, from, BACKFILL_LIMIT);
      if (batch.length === 0) continue;
      const stored = await this.persister.persist(server, head, batch);
      this.log.debug({ roomId, server, received: batch.length, stored }, "backfilled");
      if (stored > 0) return "filled";
    }
    return "unfilled";
  }
}
