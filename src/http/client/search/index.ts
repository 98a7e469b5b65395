/** Server-side search. */
import type { Route } from "../../route.js";
import { search } from "./search.js";

export const searchRoutes = [search] as Route<unknown>[];
