/** Push tables added by migration 011 (push rules and actions themselves are in user-data.ts). */

/** The stream position of a user's last event in a room's thread ("main" or the root's ID). */
export interface PushSentPositionsTable {
  room_nid: number;
  user_id: string;
  thread_id: string;
  stream_ordering: number;
}

/** The push_rules stream position of each user's latest push-rule change. */
export interface PushRulesStreamTable {
  user_id: string;
  stream_id: number;
}

export interface PushTables {
  push_sent_positions: PushSentPositionsTable;
  push_rules_stream: PushRulesStreamTable;
}
