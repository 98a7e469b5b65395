/**
 * Room state: interned (type, state_key) pairs, state snapshots stored as deltas, the current state of
 * each room, the denormalised membership table and the stream of current-state changes.
 *
 * Snapshots form a Fenwick tree along each line of ancestry: a snapshot with sequence number `seq`
 * stores its difference from the ancestor at `seq & (seq - 1)` (the empty state when that is 0). Every
 * chain is at most log2(seq) + 1 long, and each change is stored in O(log n) deltas, so state storage
 * grows as n log n in the number of state changes, never as events × state size.
 */
import { LRUCache } from "lru-cache";
import { splitStateKey, stateKey, type StateKey } from "../protocol/event.js";
import type { Db, Executor, Tx } from "./db.js";
import { InternCache } from "./id-interner.js";
import { lruCache } from "../lru.js";

/** State as numbers: state_key_nid -> event_nid. */
export type NidStateMap = Map<number, number>;

export interface SnapshotRef {
  readonly nid: number;
  readonly seq: number;
}

interface SnapshotNode {
  readonly nid: number;
  readonly parentNid: number | null;
  readonly seq: number;
  /** This snapshot's delta: null removes a key inherited from the parent. */
  readonly entries: ReadonlyMap<number, number | null>;
}

export interface MembershipChange {
  roomNid: number;
  userId: string;
  membership: string;
  eventNid: number;
  streamOrdering: number;
  sender: string;
  isLocal: boolean;
}

export class StateStore {
  private readonly keys = new InternCache(30_000);
  private readonly nodes = lruCache<number, SnapshotNode>(10_000);
  private readonly fullStates = new LRUCache<number, NidStateMap>({ maxSize: 200_000, sizeCalculation: (m) => m.size + 1 });

  constructor(private readonly db: Db) {}

  /** Numbers for state keys, creating the missing ones (cached once the transaction commits). */
  async internStateKeys(tx: Tx, keys: readonly StateKey[]): Promise<Map<StateKey, number>> {
    const out = new Map<StateKey, number>();
    const missing = new Set<StateKey>();
    for (const key of keys) {
      const nid = this.keys.nid(key);
      if (nid !== undefined) out.set(key, nid);
      else missing.add(key);
    }
    if (missing.size === 0) return out;
    const pairs = [...missing].map((key) => splitStateKey(key));
    // In chunks: SQLite allows 32 766 parameters per statement, and a joined room's state may hold more keys.
    for (let i = 0; i < pairs.length; i += 500) {
      await tx.db
        .insertInto("state_keys")
        .values(pairs.slice(i, i + 500).map(([event_type, state_key]) => ({ event_type, state_key })))
        .onConflict((oc) => oc.columns(["event_type", "state_key"]).doNothing())
        .execute();
    }
    const found = await this.lookupStateKeys(tx.db, [...missing]);
    for (const [key, nid] of found) out.set(key, nid);
    tx.onCommit(() => {
      for (const [key, nid] of found) this.keys.remember(key, nid);
    });
    return out;
  }

  private async lookupStateKeys(executor: Executor, keys: readonly StateKey[]): Promise<Map<StateKey, number>> {
    const out = new Map<StateKey, number>();
    for (let i = 0; i < keys.length; i += 200) {
      const chunk = keys.slice(i, i + 200).map((k) => splitStateKey(k));
      const rows = await executor
        .selectFrom("state_keys")
        .select(["state_key_nid", "event_type", "state_key"])
        .where((eb) => eb.or(chunk.map(([type, key]) => eb.and([eb("event_type", "=", type), eb("state_key", "=", key)]))))
        .execute();
      for (const row of rows) out.set(stateKey(row.event_type, row.state_key), Number(row.state_key_nid));
    }
    return out;
  }

  /** Existing numbers of state keys (no insert); unknown keys are absent. */
  async stateKeyNids(keys: readonly StateKey[], executor: Executor = this.db.kysely): Promise<Map<StateKey, number>> {
    return this.keys.nidsOf(keys, async (missing) => (await this.lookupStateKeys(executor, missing)).entries());
  }

  async stateKeysOf(nids: readonly number[], executor: Executor = this.db.kysely): Promise<Map<number, StateKey>> {
    return this.keys.valuesOf(nids, async (chunk) => {
      const rows = await executor.selectFrom("state_keys").select(["state_key_nid", "event_type", "state_key"]).where("state_key_nid", "in", chunk).execute();
      return rows.map((row) => [stateKey(row.event_type, row.state_key), Number(row.state_key_nid)] as const);
    });
  }

  private async node(nid: number, executor: Executor): Promise<SnapshotNode> {
    const cached = this.nodes.get(nid);
    if (cached) return cached;
    const row = await executor.selectFrom("state_snapshots").select(["parent_nid", "seq"]).where("snapshot_nid", "=", nid).executeTakeFirstOrThrow();
    const entries = await executor.selectFrom("state_snapshot_entries").select(["state_key_nid", "event_nid"]).where("snapshot_nid", "=", nid).execute();
    const node: SnapshotNode = {
      nid,
      parentNid: row.parent_nid === null ? null : Number(row.parent_nid),
      seq: Number(row.seq),
      entries: new Map(entries.map((e) => [Number(e.state_key_nid), e.event_nid === null ? null : Number(e.event_nid)])),
    };
    if (executor === this.db.kysely) this.nodes.set(nid, node);
    return node;
  }

  /** The full state of a snapshot. The returned map must not be modified. */
  async loadSnapshot(nid: number, executor: Executor = this.db.kysely): Promise<ReadonlyMap<number, number>> {
    const cached = this.fullStates.get(nid);
    if (cached) return cached;
    const chain: SnapshotNode[] = [];
    let base: ReadonlyMap<number, number> | undefined;
    let current: number | null = nid;
    while (current !== null) {
      const hit = this.fullStates.get(current);
      if (hit) {
        base = hit;
        break;
      }
      const node: SnapshotNode = await this.node(current, executor);
      chain.push(node);
      current = node.parentNid;
    }
    const state: NidStateMap = new Map(base ?? []);
    for (let i = chain.length - 1; i >= 0; i--) {
      for (const [key, event] of (chain[i] as SnapshotNode).entries) {
        if (event === null) state.delete(key);
        else state.set(key, event);
      }
    }
    if (executor === this.db.kysely) this.fullStates.set(nid, state);
    return state;
  }

  async snapshotRef(nid: number, executor: Executor = this.db.kysely): Promise<SnapshotRef> {
    const node = await this.node(nid, executor);
    return { nid, seq: node.seq };
  }

  /**
   * Stores the snapshot "parent's state with `changes` applied" (null in changes removes a key).
   * With no parent, `changes` is the whole state.
   */
  async createSnapshot(tx: Tx, roomNid: number, parent: SnapshotRef | null, changes: ReadonlyMap<number, number | null>): Promise<SnapshotRef> {
    const seq = (parent?.seq ?? 0) + 1;
    const baseSeq = seq & (seq - 1);
    // Differences between the base and the parent: the deltas of the chain nodes above the base,
    // newest first so that the newest value of each key wins.
    const delta = new Map<number, number | null>(changes);
    let current = parent?.nid ?? null;
    let baseNid: number | null = null;
    while (current !== null) {
      const node = await this.node(current, tx.db);
      if (node.seq <= baseSeq) {
        baseNid = node.nid;
        break;
      }
      for (const [key, event] of node.entries) if (!delta.has(key)) delta.set(key, event);
      current = node.parentNid;
    }
    if (baseNid === null) {
      for (const [key, event] of delta) if (event === null) delta.delete(key); // nothing to remove from the empty state
    }
    const row = await tx.db
      .insertInto("state_snapshots")
      .values({ room_nid: roomNid, parent_nid: baseNid, seq })
      .returning("snapshot_nid")
      .executeTakeFirstOrThrow();
    const nid = Number(row.snapshot_nid);
    const entries = [...delta].map(([state_key_nid, event_nid]) => ({ snapshot_nid: nid, state_key_nid, event_nid }));
    for (let i = 0; i < entries.length; i += 500) {
      await tx.db.insertInto("state_snapshot_entries").values(entries.slice(i, i + 500)).execute();
    }
    const node: SnapshotNode = { nid, parentNid: baseNid, seq, entries: delta };
    tx.onCommit(() => this.nodes.set(nid, node));
    return { nid, seq };
  }

  /** Stores a snapshot of a whole state, as a delta against `parent` when one is given. */
  async createSnapshotFromState(tx: Tx, roomNid: number, parent: SnapshotRef | null, state: ReadonlyMap<number, number>): Promise<SnapshotRef> {
    if (!parent) return this.createSnapshot(tx, roomNid, null, state);
    const parentState = await this.loadSnapshot(parent.nid, tx.db);
    const changes = new Map<number, number | null>();
    for (const [key, event] of state) if (parentState.get(key) !== event) changes.set(key, event);
    for (const key of parentState.keys()) if (!state.has(key)) changes.set(key, null);
    if (changes.size === 0) return parent;
    return this.createSnapshot(tx, roomNid, parent, changes);
  }

  async getCurrentState(roomNid: number, executor: Executor = this.db.kysely): Promise<NidStateMap> {
    const rows = await executor.selectFrom("current_state").select(["state_key_nid", "event_nid"]).where("room_nid", "=", roomNid).execute();
    return new Map(rows.map((r) => [Number(r.state_key_nid), Number(r.event_nid)]));
  }

  /** Applies changes to a room's current state and records them in the state-delta stream. */
  async updateCurrentState(
    tx: Tx,
    roomNid: number,
    changes: readonly { stateKeyNid: number; eventNid: number | null; prevEventNid: number | null }[],
    streamOrdering: number,
  ): Promise<void> {
    for (const change of changes) {
      if (change.eventNid === null) {
        await tx.db.deleteFrom("current_state").where("room_nid", "=", roomNid).where("state_key_nid", "=", change.stateKeyNid).execute();
      } else {
        await tx.db
          .insertInto("current_state")
          .values({ room_nid: roomNid, state_key_nid: change.stateKeyNid, event_nid: change.eventNid })
          .onConflict((oc) => oc.columns(["room_nid", "state_key_nid"]).doUpdateSet({ event_nid: change.eventNid as number }))
          .execute();
      }
    }
    for (let i = 0; i < changes.length; i += 500) {
      await tx.db
        .insertInto("state_deltas")
        .values(
          changes.slice(i, i + 500).map((c) => ({
            stream_ordering: streamOrdering,
            room_nid: roomNid,
            state_key_nid: c.stateKeyNid,
            event_nid: c.eventNid,
            prev_event_nid: c.prevEventNid,
          })),
        )
        .execute();
    }
  }

  async upsertMembership(tx: Tx, change: MembershipChange): Promise<void> {
    const values = {
      room_nid: change.roomNid,
      user_id: change.userId,
      membership: change.membership,
      event_nid: change.eventNid,
      stream_ordering: change.streamOrdering,
      sender: change.sender,
      is_local: change.isLocal ? 1 : 0,
      forgotten: 0,
    };
    await tx.db
      .insertInto("room_memberships")
      .values(values)
      .onConflict((oc) =>
        oc.columns(["room_nid", "user_id"]).doUpdateSet({
          membership: values.membership,
          event_nid: values.event_nid,
          stream_ordering: values.stream_ordering,
          sender: values.sender,
          forgotten: 0,
        }),
      )
      .execute();
  }
}
