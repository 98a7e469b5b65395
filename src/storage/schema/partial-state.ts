/** Rooms joined over federation whose state is still partial (members omitted by the resident server). */

export interface PartialStateRoomsTable {
  room_nid: number;
  /** Our join event: the full state before it is what is still to be fetched. */
  join_event_id: string;
  /** The servers in the room when we joined (JSON array), the server we joined through first. */
  servers: string;
  joined_ts: number;
}

export interface PartialStateTables {
  partial_state_rooms: PartialStateRoomsTable;
}
