/** Tables of event relationships. The relations themselves are columns of `events` (relates_to_id, rel_type). */

/**
 * One row per thread of a room: its root and its latest event (topologically), kept by the threads
 * persist hook so that GET /threads pages through threads ordered by their latest event without
 * grouping every threaded event of the room.
 */
export interface ThreadsTable {
  room_nid: number;
  /** The thread root's event ID (the root may not be known yet over federation). */
  thread_id: string;
  latest_event_nid: number;
  latest_depth: number;
  latest_stream: number;
}

export interface RelationsTables {
  threads: ThreadsTable;
}
