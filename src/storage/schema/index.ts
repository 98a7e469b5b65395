/** The whole database schema, as Kysely sees it. Each area declares its tables in its own file. */
import type { AccountsTables } from "./accounts.js";
import type { EventsTables } from "./events.js";
import type { PushTables } from "./push.js";
import type { RelationsTables } from "./relations.js";
import type { ReportsTables } from "./reports.js";
import type { UserDataTables } from "./user-data.js";
import type { UserDirectoryTables } from "./user-directory.js";
import type { SearchTables } from "./search.js";
import type { E2eTables } from "./e2e.js";
import type { FederationTables } from "./federation.js";
import type { KeyBackupTables } from "./key-backup.js";
import type { MediaTables } from "./media.js";
import type { PushersTables } from "./pushers.js";
import type { ThumbnailTables } from "./thumbnails.js";
import type { UrlPreviewTables } from "./url-previews.js";
import type { OutOfBandMembershipTables } from "./out-of-band-memberships.js";
import type { PartialStateTables } from "./partial-state.js";

export interface Schema extends AccountsTables, EventsTables, UserDataTables, RelationsTables, UserDirectoryTables, ReportsTables, PushTables, SearchTables, E2eTables, FederationTables, KeyBackupTables, MediaTables, PushersTables, ThumbnailTables, UrlPreviewTables, OutOfBandMembershipTables, PartialStateTables {}
