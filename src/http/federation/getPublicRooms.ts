/** GET /_matrix/federation/v1/publicRooms — server-server API "Published Room Directory". */
import { booleanParam, integerParam, singleParam } from "../query-params.js";
import { defineRoute } from "../route.js";

export const getFederationPublicRooms = defineRoute({
  operationId: "getPublicRooms",
  method: "GET",
  paths: ["/_matrix/federation/v1/publicRooms"],
  auth: "server",
  handle(request) {
    const limit = integerParam(request, "limit", 0);
    const since = singleParam(request, "since");
    const thirdPartyInstanceId = singleParam(request, "third_party_instance_id");
    // Only this server's own directory: the spec says not to list rooms of other servers' directories.
    return request.deps.roomDirectory.publicRooms({
      // A limit of 0 is no limit, as the spec's default says.
      ...(limit !== undefined && limit > 0 ? { limit } : {}),
      ...(since !== undefined ? { since } : {}),
      ...(thirdPartyInstanceId !== undefined ? { thirdPartyInstanceId } : {}),
      includeAllNetworks: booleanParam(request, "include_all_networks", false),
    });
  },
});
