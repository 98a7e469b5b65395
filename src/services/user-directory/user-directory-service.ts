/**
 * POST /user_directory/search (client-server API "User Directory"): users the searcher shares a room
 * with, and members of rooms with join rule `public` or history visibility `world_readable`, whose
 * user ID or display name has a word starting with each word of the search term (case and accents
 * ignored). Results are ranked: whole-name matches, then names that start with the term, then other
 * word matches; within a rank users with a display name come first (the spec's "then whether or not
 * profile info is available"), then local users, then by user ID.
 */
import { MatrixError } from "../../errors.js";
import type { Executor } from "../../storage/db.js";
import type { DirectoryEntry, UserDirectoryStore } from "../../storage/user-directory-store.js";
import { normaliseForSearch, searchWords } from "../../storage/user-directory-terms.js";
import type { Requester } from "../accounts/requester.js";

/** Synapse's default and cap on `limit`. */
const DEFAULT_LIMIT = 10;
const MAX_LIMIT = 50;
/** Candidates ranked per search; a term matching more users than this is reported as limited. */
const CANDIDATES = 500;

export interface DirectoryResult {
  user_id: string;
  display_name?: string;
  avatar_url?: string;
}

export class UserDirectoryService {
  constructor(
    private readonly store: UserDirectoryStore,
    private readonly serverName: string,
  ) {}

  /** Searches the users visible to the requester. */
  async search(requester: Requester, searchTerm: string, limit: number | undefined): Promise<{ results: DirectoryResult[]; limited: boolean }> {
    const wanted = Math.max(0, Math.min(limit ?? DEFAULT_LIMIT, MAX_LIMIT));
    const words = searchWords(searchTerm);
    if (words.length === 0) return { results: [], limited: false };
    if (words.length > 16) throw new MatrixError(400, "M_INVALID_PARAM", "The search term has too many words");
    const candidates = await this.store.search(requester.userId, words, CANDIDATES);
    const term = normaliseForSearch(searchTerm.trim());
    const ranked = candidates
      .map((entry) => ({ entry, rank: this.rank(entry, term) }))
      .sort((a, b) => b.rank - a.rank || compareEntries(a.entry, b.entry, this.serverName));
    return {
      results: ranked.slice(0, wanted).map(({ entry }) => toResult(entry)),
      limited: ranked.length > wanted,
    };
  }

  /** Records a local user's display name and avatar (profile changes, joins). */
  async indexUser(executor: Executor, entry: DirectoryEntry): Promise<void> {
    await this.store.upsertUser(executor, entry);
  }

  private rank(entry: DirectoryEntry, term: string): number {
    const colon = entry.userId.indexOf(":");
    const localpart = normaliseForSearch(colon > 0 ? entry.userId.slice(1, colon) : entry.userId.slice(1));
    const name = entry.displayName !== null ? normaliseForSearch(entry.displayName) : undefined;
    const userId = normaliseForSearch(entry.userId);
    if (name === term || localpart === term || userId === term) return 3;
    if (name?.startsWith(term) || localpart.startsWith(term) || userId.startsWith(term)) return 2;
    return 1;
  }
}

function compareEntries(a: DirectoryEntry, b: DirectoryEntry, serverName: string): number {
  const profile = Number(b.displayName !== null || b.avatarUrl !== null) - Number(a.displayName !== null || a.avatarUrl !== null);
  if (profile !== 0) return profile;
  const local = Number(b.userId.endsWith(`:${serverName}`)) - Number(a.userId.endsWith(`:${serverName}`));
  if (local !== 0) return local;
  return a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0;
}

function toResult(entry: DirectoryEntry): DirectoryResult {
  return {
    user_id: entry.userId,
    ...(entry.displayName !== null ? { display_name: entry.displayName } : {}),
    ...(entry.avatarUrl !== null ? { avatar_url: entry.avatarUrl } : {}),
  };
}
