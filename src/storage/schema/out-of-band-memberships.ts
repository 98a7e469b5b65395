/** Memberships of local users in rooms this server is not in (remote invites and knocks, and their endings). */

export interface OutOfBandMembershipsTable {
  user_id: string;
  room_id: string;
  room_version: string;
  /** "invite", "knock" or "leave" (a rejected invite or withdrawn knock). */
  membership: string;
  event_id: string;
  /** The member event as a PDU (JSON). */
  event_json: string;
  /** The stripped state events the other server gave (JSON array of {type, state_key, sender, content}). */
  stripped_state: string;
  /** Servers known to be in the room, best first (JSON array), to leave or join through. */
  servers: string;
  /** Position on the room events stream, so incremental syncs see the change once. */
  stream_ordering: number;
}

export interface OutOfBandMembershipTables {
  out_of_band_memberships: OutOfBandMembershipsTable;
}
