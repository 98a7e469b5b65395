/**
 * Storage of room history fetched from other servers (server-server API "Backfilling"): where our
 * copy of a room's history has gaps, and how backfilled events are written so that /messages shows
 * them in topological order while /sync never sees them.
 *
 * Backfilled events get negative stream orderings that grow downwards (as Synapse does with its
 * backwards stream): sync and the federation sender read stream positions above their last token,
 * which is never negative, so these events never look new; /messages orders by (depth, stream), so
 * they sit before the events we had by depth.
 */
import type { Executor, Tx } from "./db.js";

/** A gap: an event in our timeline whose prev event we do not hold as a timeline event. */
export interface BackwardExtremity {
  /** The ID of the missing prev event (what /backfill is asked for). */
  missingEventId: string;
  /** The depth of the timeline event that points at it. */
  childDepth: number;
}

export interface BackfilledRow {
  nid: number;
  streamOrdering: number;
  stateSnapshotNid: number | null;
  prevStateEventNid: number | null;
  relatesToId: string | null;
  relType: string | null;
}

export class BackfillStore {
  /**
   * The gaps below `maxDepth` (and above `minDepth`), nearest first. A prev event counts as missing
   * when we do not store it, or store it only as an outlier that was not rejected (a join's state):
   * fetching it again may make it a timeline event. Called when /messages has read the last events we
   * hold in that direction, so the rows it walks are few.
   */
  async backwardExtremities(executor: Executor, roomNid: number, maxDepth: number, minDepth: number, limit: number): Promise<BackwardExtremity[]> {
    const rows = await executor
      .selectFrom("events as e")
      .innerJoin("event_edges as ed", "ed.event_nid", "e.event_nid")
      .innerJoin("event_ids as ids", "ids.event_nid", "ed.prev_event_nid")
      .leftJoin("events as p", "p.event_nid", "ed.prev_event_nid")
      .select(["ids.event_id", "e.depth"])
      .where("e.room_nid", "=", roomNid)
      .where("e.stream_ordering", "is not", null)
      .where("e.rejected_reason", "is", null)
      .where("e.depth", "<=", maxDepth)
      .where("e.depth", ">", minDepth)
      .where((eb) => eb.or([eb("p.event_nid", "is", null), eb.and([eb("p.stream_ordering", "is", null), eb("p.rejected_reason", "is", null)])]))
      .orderBy("e.depth", "desc")
      .limit(limit)
      .execute();
    const seen = new Set<string>();
    const out: BackwardExtremity[] = [];
    for (const row of rows) {
      if (seen.has(row.event_id)) continue;
      seen.add(row.event_id);
      out.push({ missingEventId: row.event_id, childDepth: Number(row.depth) });
    }
    return out;
  }

  /** Whether an event has prev events we do not hold as timeline events (a gap right before it). */
  async isNextToBackwardGap(executor: Executor, eventNid: number): Promise<boolean> {
    const row = await executor
      .selectFrom("event_edges as ed")
      .leftJoin("events as p", "p.event_nid", "ed.prev_event_nid")
      .select("ed.prev_event_nid")
      .where("ed.event_nid", "=", eventNid)
      .where((eb) => eb.or([eb("p.event_nid", "is", null), eb.and([eb("p.stream_ordering", "is", null), eb("p.rejected_reason", "is", null)])]))
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  /**
   * Whether an event is followed by a gap: no timeline event of ours has it as a prev event, and it
   * is not one of the room's newest events (forward extremities), the case of an event fetched alone.
   */
  async isNextToForwardGap(executor: Executor, roomNid: number, eventNid: number): Promise<boolean> {
    const extremity = await executor.selectFrom("forward_extremities").select("event_nid").where("room_nid", "=", roomNid).where("event_nid", "=", eventNid).executeTakeFirst();
    if (extremity) return false;
    const child = await executor
      .selectFrom("event_edges as ed")
      .innerJoin("events as c", "c.event_nid", "ed.event_nid")
      .select("c.event_nid")
      .where("ed.prev_event_nid", "=", eventNid)
      .where("c.stream_ordering", "is not", null)
      .limit(1)
      .executeTakeFirst();
    return child === undefined;
  }

  /**
   * The lowest stream ordering in use, or 0: backfilled events take the numbers below it. Read in
   * the writing transaction; the unique index on stream_ordering refuses a number taken meanwhile.
   */
  async lowestStreamOrdering(tx: Tx): Promise<number> {
    const row = await tx.db
      .selectFrom("events")
      .select((eb) => eb.fn.min("stream_ordering").as("lowest"))
      .executeTakeFirst();
    const lowest = row?.lowest === null || row?.lowest === undefined ? 0 : Number(row.lowest);
    return Math.min(lowest, 0);
  }

  /**
   * Makes an outlier we already hold (a joined room's state or auth chain) a timeline event at its
   * place in history; false when it is not an outlier (any more).
   */
  async promoteOutlier(tx: Tx, row: BackfilledRow): Promise<boolean> {
    const result = await tx.db
      .updateTable("events")
      .set({
        stream_ordering: row.streamOrdering,
        outlier: 0,
        state_snapshot_nid: row.stateSnapshotNid,
        prev_state_event_nid: row.prevStateEventNid,
        relates_to_id: row.relatesToId,
        rel_type: row.relType,
      })
      .where("event_nid", "=", row.nid)
      .where("outlier", "=", 1)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }
}
