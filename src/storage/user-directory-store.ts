/**
 * The user directory (client-server API "User Directory"): each user's display name and avatar with
 * their search terms, and the rooms whose members everyone may find. Who a searcher may see is decided
 * at query time from current memberships: users sharing a room with them, and members of public or
 * world-readable rooms.
 */
import type { Db, Executor } from "./db.js";
import { directoryTerms } from "./user-directory-terms.js";

export interface DirectoryEntry {
  userId: string;
  displayName: string | null;
  avatarUrl: string | null;
}

export class UserDirectoryStore {
  constructor(private readonly db: Db) {}

  /** Writes a user's entry and replaces their search terms. */
  async upsertUser(executor: Executor, entry: DirectoryEntry): Promise<void> {
    await executor
      .insertInto("user_directory")
      .values({ user_id: entry.userId, display_name: entry.displayName, avatar_url: entry.avatarUrl })
      .onConflict((oc) => oc.column("user_id").doUpdateSet({ display_name: entry.displayName, avatar_url: entry.avatarUrl }))
      .execute();
    await executor.deleteFrom("user_directory_terms").where("user_id", "=", entry.userId).execute();
    const terms = directoryTerms(entry.userId, entry.displayName);
    if (terms.length > 0) {
      await executor
        .insertInto("user_directory_terms")
        .values(terms.map((term) => ({ user_id: entry.userId, term })))
        .execute();
    }
  }

  async removeUser(executor: Executor, userId: string): Promise<void> {
    await executor.deleteFrom("user_directory_terms").where("user_id", "=", userId).execute();
    await executor.deleteFrom("user_directory").where("user_id", "=", userId).execute();
  }

  async get(userId: string, executor: Executor = this.db.kysely): Promise<DirectoryEntry | undefined> {
    const row = await executor.selectFrom("user_directory").selectAll().where("user_id", "=", userId).executeTakeFirst();
    return row ? { userId: row.user_id, displayName: row.display_name, avatarUrl: row.avatar_url } : undefined;
  }

  /** Whether the user is joined to any room this server knows. */
  async isJoinedAnywhere(executor: Executor, userId: string): Promise<boolean> {
    const row = await executor
      .selectFrom("room_memberships")
      .select("room_nid")
      .where("user_id", "=", userId)
      .where("membership", "=", "join")
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Marks a room as one whose members everyone may find, or not. */
  async setRoomPublic(executor: Executor, roomNid: number, isPublic: boolean): Promise<void> {
    if (isPublic) {
      await executor.insertInto("user_directory_public_rooms").values({ room_nid: roomNid }).onConflict((oc) => oc.column("room_nid").doNothing()).execute();
    } else {
      await executor.deleteFrom("user_directory_public_rooms").where("room_nid", "=", roomNid).execute();
    }
  }

  async isRoomPublic(roomNid: number, executor: Executor = this.db.kysely): Promise<boolean> {
    const row = await executor.selectFrom("user_directory_public_rooms").select("room_nid").where("room_nid", "=", roomNid).executeTakeFirst();
    return row !== undefined;
  }

  /**
   * Users `searcher` may see whose terms include a word starting with each of `words` (already
   * normalised), at most `cap` of them, those with a display name first.
   */
  async search(searcher: string, words: readonly string[], cap: number): Promise<DirectoryEntry[]> {
    const db = this.db.kysely;
    const sharing = db
      .selectFrom("room_memberships as mine")
      .innerJoin("room_memberships as other", "other.room_nid", "mine.room_nid")
      .select("other.user_id")
      .where("mine.user_id", "=", searcher)
      .where("mine.membership", "=", "join")
      .where("other.membership", "=", "join");
    const inPublicRooms = db
      .selectFrom("room_memberships as m")
      .innerJoin("user_directory_public_rooms as p", "p.room_nid", "m.room_nid")
      .select("m.user_id")
      .where("m.membership", "=", "join");
    let query = db
      .selectFrom("user_directory as d")
      .select(["d.user_id", "d.display_name", "d.avatar_url"])
      .where((eb) => eb.or([eb("d.user_id", "in", sharing), eb("d.user_id", "in", inPublicRooms)]));
    for (const word of words) {
      // substr counts characters on both databases, as [...word] does.
      const length = [...word].length;
      query = query.where("d.user_id", "in", (eb) =>
        eb
          .selectFrom("user_directory_terms as t")
          .select("t.user_id")
          .where((w) => w(w.fn<string>("substr", ["t.term", w.val(1), w.val(length)]), "=", word)),
      );
    }
    const rows = await query
      .orderBy((eb) => eb.case().when("d.display_name", "is", null).then(1).else(0).end())
      .orderBy("d.user_id")
      .limit(cap)
      .execute();
    return rows.map((row) => ({ userId: row.user_id, displayName: row.display_name, avatarUrl: row.avatar_url }));
  }
}
