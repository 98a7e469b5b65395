/** Server administration in the client API. */
import type { Route } from "../../route.js";
import { getWhoIs } from "./getWhoIs.js";

export const clientAdminRoutes = [getWhoIs] as Route<unknown>[];
