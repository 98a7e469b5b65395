/**
 * Synapse's admin API for deleting local media (the paths and answers admin tools call): one media by
 * ID, a page of a user's media, and media not accessed since a time. Each answers
 * `{deleted_media: [ids], total}`. The requester's admin status is checked before anything is looked up.
 */
import { MatrixError } from "../../errors.js";
import { parseUserId } from "../../protocol/identifiers.js";
import type { MediaOrder, MediaStore } from "../../storage/media-store.js";

export type { MediaOrder } from "../../storage/media-store.js";
import type { UserStore } from "../../storage/user-store.js";
import type { Requester } from "../accounts/requester.js";
import type { MediaService } from "./media-service.js";

export interface DeletedMediaAnswer {
  deleted_media: string[];
  total: number;
}

export interface UserMediaPage {
  limit: number;
  offset: number;
  orderBy: MediaOrder;
  direction: "asc" | "desc";
}

/** Rows looked up per round when deleting by age. */
const BATCH = 500;

export class MediaAdminService {
  constructor(
    private readonly media: MediaService,
    private readonly store: MediaStore,
    private readonly users: UserStore,
    private readonly serverName: string,
  ) {}

  /** DELETE /_synapse/admin/v1/media/{serverName}/{mediaId}. */
  async deleteById(requester: Pick<Requester, "isAdmin">, serverName: string, mediaId: string): Promise<DeletedMediaAnswer> {
    requireAdmin(requester);
    this.requireLocal(serverName);
    if (!(await this.store.get(serverName, mediaId))) throw new MatrixError(404, "M_NOT_FOUND", "Unknown media");
    return answer(await this.media.deleteMedia(serverName, [mediaId]));
  }

  /** DELETE /_synapse/admin/v1/users/{userId}/media: one page of the user's media (as Synapse, 100 by default). */
  async deleteByUser(requester: Pick<Requester, "isAdmin">, userId: string, page: UserMediaPage): Promise<DeletedMediaAnswer> {
    requireAdmin(requester);
    const parts = parseUserId(userId, { historical: true });
    if (!parts || parts.serverName !== this.serverName) throw new MatrixError(400, "M_INVALID_PARAM", "Can only look up local users");
    if (!(await this.users.get(userId))) throw new MatrixError(404, "M_NOT_FOUND", "Unknown user");
    const rows = await this.store.listByUser(userId, page);
    return answer(await this.media.deleteMedia(this.serverName, rows.map((row) => row.mediaId)));
  }

  /**
   * POST /_synapse/admin/v1/media/delete (and .../media/{serverName}/delete): local media last
   * accessed before `beforeTs` and larger than `sizeGt` bytes; avatars kept with `keepProfiles`.
   * Quarantined media is kept, as Synapse does.
   */
  async deleteByAge(requester: Pick<Requester, "isAdmin">, options: { beforeTs: number; sizeGt: number; keepProfiles: boolean; serverName?: string }): Promise<DeletedMediaAnswer> {
    requireAdmin(requester);
    if (options.serverName !== undefined) this.requireLocal(options.serverName);
    const deleted: string[] = [];
    for (;;) {
      const ids = await this.store.idsLastAccessedBefore(this.serverName, { beforeTs: options.beforeTs, sizeGt: options.sizeGt, keepAvatars: options.keepProfiles, limit: BATCH });
      if (ids.length === 0) break;
      const gone = await this.media.deleteMedia(this.serverName, ids);
      deleted.push(...gone.map((media) => media.mediaId));
      if (gone.length === 0) break;
    }
    return { deleted_media: deleted, total: deleted.length };
  }

  /**
   * POST /_synapse/admin/v1/purge_media_cache: cached remote media last accessed before `beforeTs`
   * (its origin still has it); answers `{deleted: N}` as Synapse does.
   */
  async purgeRemoteCache(requester: Pick<Requester, "isAdmin">, beforeTs: number): Promise<{ deleted: number }> {
    requireAdmin(requester);
    return { deleted: await this.media.purgeRemoteCache(beforeTs) };
  }

  private requireLocal(serverName: string): void {
    if (serverName !== this.serverName) throw new MatrixError(400, "M_INVALID_PARAM", "Can only delete local media");
  }
}

function requireAdmin(requester: Pick<Requester, "isAdmin">): void {
  if (!requester.isAdmin) throw new MatrixError(403, "M_FORBIDDEN", "You are not a server admin");
}

function answer(deleted: readonly { mediaId: string }[]): DeletedMediaAnswer {
  return { deleted_media: deleted.map((media) => media.mediaId), total: deleted.length };
}
