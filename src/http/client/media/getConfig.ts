/** GET /_matrix/media/v3/config — client-server API "Content repository" (getConfig, deprecated). */
import { defineRoute } from "../../route.js";
import { mediaPaths } from "./media-paths.js";

export const getConfig = defineRoute({
  operationId: "getConfig",
  method: "GET",
  paths: mediaPaths("/config", ["v3", "r0"]),
  auth: "user",
  allowGuests: true,
  handle: ({ deps }) => deps.media.uploadConfig(),
});
