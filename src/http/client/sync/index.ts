/** Sync and filters. */
import type { Route } from "../../route.js";
import { defineFilter, getFilter } from "./filters.js";
import { sync } from "./sync.js";

export const syncRoutes = [sync, defineFilter, getFilter] as Route<unknown>[];
