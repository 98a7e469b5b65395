/** POST /_matrix/client/v3/logout and /logout/all — client-server API "Logout". */
import { clientPaths, defineRoute } from "../../route.js";

export const logout = defineRoute({
  operationId: "logout",
  method: "POST",
  paths: clientPaths("/logout"),
  auth: "user",
  allowGuests: true,
  allowLocked: true,
  async handle({ deps, requester }) {
    await deps.accounts.logout(requester!);
    return {};
  },
});

export const logoutAll = defineRoute({
  operationId: "logout_all",
  method: "POST",
  paths: clientPaths("/logout/all"),
  auth: "user",
  allowGuests: true,
  allowLocked: true,
  async handle({ deps, requester }) {
    await deps.accounts.logoutAll(requester!.userId);
    return {};
  },
});
