/** The user directory's search index and the rooms that make their members visible to everyone. */

/** One search term of a user (a word of the user ID or display name, normalised). */
export interface UserDirectoryTermsTable {
  user_id: string;
  term: string;
}

/**
 * Rooms whose joined members every local user may find (client-server API "User Directory"): join
 * rule `public` or history visibility `world_readable`, as of the current state.
 */
export interface UserDirectoryPublicRoomsTable {
  room_nid: number;
}

export interface UserDirectoryTables {
  user_directory_terms: UserDirectoryTermsTable;
  user_directory_public_rooms: UserDirectoryPublicRoomsTable;
}
