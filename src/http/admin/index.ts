/** Admin API routes. */
import type { Route } from "../route.js";
import { getRegistrationNonce, registerWithSharedSecret } from "./registerWithSharedSecret.js";
import { sendServerNotice, sendServerNoticeWithTxn } from "./sendServerNotice.js";
import { deleteMediaById } from "./deleteMediaById.js";
import { deleteMediaByDateSize, deleteMediaByDateSizeOnServer } from "./deleteMediaByDateSize.js";
import { deleteUserMedia } from "./deleteUserMedia.js";
import { purgeMediaCache } from "./purgeMediaCache.js";

export const adminRoutes: Route<unknown>[] = [getRegistrationNonce, registerWithSharedSecret, sendServerNotice, sendServerNoticeWithTxn] as Route<unknown>[];

// Media deletion (Synapse's media admin API).
adminRoutes.push(...([deleteMediaById, deleteUserMedia, deleteMediaByDateSize, deleteMediaByDateSizeOnServer] as Route<unknown>[]));

// The cache of other servers' media (Synapse's purge_media_cache).
adminRoutes.push(purgeMediaCache as Route<unknown>);
