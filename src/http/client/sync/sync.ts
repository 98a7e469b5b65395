/** GET /_matrix/client/v3/sync — client-server API "Syncing". */
import { MatrixError } from "../../../errors.js";
import { clientPaths, defineRoute } from "../../route.js";

export const sync = defineRoute({
  operationId: "sync",
  method: "GET",
  paths: clientPaths("/sync"),
  auth: "user",
  allowGuests: true,
  async handle({ deps, query, requester, gone }) {
    const timeoutParam = query["timeout"];
    let timeoutMs = 0;
    if (timeoutParam !== undefined) {
      if (typeof timeoutParam !== "string" || !/^\d{1,12}$/.test(timeoutParam)) throw new MatrixError(400, "M_INVALID_PARAM", "timeout must be an integer");
      timeoutMs = Math.min(Number(timeoutParam), deps.config.limits.max_sync_timeout_ms);
    }
    const fullState = query["full_state"] === "true";
    const setPresence = typeof query["set_presence"] === "string" ? query["set_presence"] : undefined;
    if (setPresence !== undefined && !["online", "offline", "unavailable"].includes(setPresence)) {
      throw new MatrixError(400, "M_INVALID_PARAM", "set_presence must be online, offline or unavailable");
    }
    const filter = await deps.filters.resolve(requester!.userId, typeof query["filter"] === "string" ? query["filter"] : undefined);
    return deps.sync.sync(
      requester!,
      { since: typeof query["since"] === "string" ? query["since"] : undefined, timeoutMs, fullState, filter, setPresence },
      gone,
    );
  },
});
