/** Server administration in the client API: whois, account locking and suspension. */
import type { Route } from "../../route.js";
import { getAdminLockUser } from "./getAdminLockUser.js";
import { getAdminSuspendUser } from "./getAdminSuspendUser.js";
import { getWhoIs } from "./getWhoIs.js";
import { setAdminLockUser } from "./setAdminLockUser.js";
import { setAdminSuspendUser } from "./setAdminSuspendUser.js";

export const clientAdminRoutes = [getWhoIs, getAdminLockUser, setAdminLockUser, getAdminSuspendUser, setAdminSuspendUser] as Route<unknown>[];
