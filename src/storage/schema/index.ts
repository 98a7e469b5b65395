/** The whole database schema, as Kysely sees it. Each area declares its tables in its own file. */
import type { AccountsTables } from "./accounts.js";
import type { EventsTables } from "./events.js";
import type { UserDataTables } from "./user-data.js";

export interface Schema extends AccountsTables, EventsTables, UserDataTables {}
