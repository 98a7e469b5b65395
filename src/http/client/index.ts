/** Every client-server API route. Each area lists its routes in its own folder's index. */
import type { Route } from "../route.js";
import { getVersions } from "./getVersions.js";
import { getCapabilities } from "./getCapabilities.js";
import { accountRoutes } from "./account/index.js";
import { roomRoutes } from "./rooms/index.js";
import { syncRoutes } from "./sync/index.js";
import { relationRoutes } from "./relations/index.js";
import { userDataRoutes } from "./user-data/index.js";
import { profileRoutes } from "./profile/index.js";
import { ephemeralRoutes } from "./ephemeral/index.js";
import { presenceRoutes } from "./presence/index.js";
import { searchRoutes } from "./search/index.js";
import { openIdRoutes } from "./openid/index.js";
import { voipRoutes } from "./voip/index.js";
import { clientAdminRoutes } from "./admin/index.js";
import { legacyRoutes } from "./legacy/index.js";
import { directoryRoutes } from "./directory/index.js";
import { roomExtraRoutes } from "./room-extras/index.js";
import { pushRoutes } from "./push/index.js";
import { keyBackupRoutes } from "./key-backup/index.js";
import { e2eeRoutes } from "./e2ee/index.js";

export const clientRoutes: Route<unknown>[] = [getVersions, getCapabilities, ...accountRoutes, ...roomRoutes, ...syncRoutes, ...relationRoutes, ...userDataRoutes, ...profileRoutes, ...ephemeralRoutes, ...presenceRoutes] as Route<unknown>[];

// Search, OpenID, VoIP, whois and the legacy endpoints.
clientRoutes.push(...searchRoutes, ...openIdRoutes, ...voipRoutes, ...clientAdminRoutes, ...legacyRoutes);

// Room aliases and the published room directory; upgrades, spaces, summaries, reports.
clientRoutes.push(...directoryRoutes, ...roomExtraRoutes);

// Push rules and notifications.
clientRoutes.push(...pushRoutes);

// End-to-end encryption.
clientRoutes.push(...e2eeRoutes);

// Server-side key backups.
clientRoutes.push(...keyBackupRoutes);
