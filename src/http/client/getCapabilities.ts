/** GET /_matrix/client/v3/capabilities — client-server API "Capabilities negotiation". */
import { SUPPORTED_ROOM_VERSIONS } from "../../protocol/room-versions.js";
import { clientPaths, defineRoute } from "../route.js";

export const getCapabilities = defineRoute({
  operationId: "getCapabilities",
  method: "GET",
  paths: clientPaths("/capabilities"),
  auth: "user",
  allowGuests: true,
  handle: ({ deps, requester }) => ({
    capabilities: {
      "m.change_password": { enabled: deps.config.password.enabled },
      "m.room_versions": {
        default: deps.config.default_room_version,
        available: Object.fromEntries(SUPPORTED_ROOM_VERSIONS.map((v) => [v, "stable"])),
      },
      "m.set_displayname": { enabled: true },
      "m.set_avatar_url": { enabled: true },
      // Adding e-mail addresses or phone numbers needs an identity server to validate them.
      "m.3pid_changes": { enabled: false },
      "m.get_login_token": { enabled: true },
      "m.profile_fields": { enabled: true },
      // Only server admins may lock and suspend; the spec asks to omit the capability for others.
      ...(requester?.isAdmin ? { "m.account_moderation": { suspend: true, lock: true } } : {}),
    },
  }),
});
