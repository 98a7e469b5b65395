/** Server-server API routes and the key server. */
import type { Route } from "../route.js";
import { getServerKey } from "./getServerKey.js";
import { getVersion } from "./getVersion.js";
import { getQueryKeys, queryKeys } from "./queryKeys.js";
import { queryProfile } from "./queryProfile.js";
import { claimUserEncryptionKeys } from "./claimUserEncryptionKeys.js";
import { getUserDevices } from "./getUserDevices.js";
import { queryUserEncryptionKeys } from "./queryUserEncryptionKeys.js";
import { sendTransaction } from "./sendTransaction.js";
import { makeJoin } from "./makeJoin.js";
import { sendJoinV2 } from "./sendJoinV2.js";
import { sendInviteV1 } from "./sendInviteV1.js";
import { sendInviteV2 } from "./sendInviteV2.js";
import { makeLeave } from "./makeLeave.js";
import { sendLeaveV2 } from "./sendLeaveV2.js";
import { makeKnock } from "./makeKnock.js";
import { sendKnock } from "./sendKnock.js";
import { getEvent } from "./getEvent.js";
import { getMissingPreviousEvents } from "./getMissingPreviousEvents.js";
import { backfillRoom } from "./backfillRoom.js";
import { getRoomState } from "./getRoomState.js";
import { getRoomStateIds } from "./getRoomStateIds.js";
import { getEventAuth } from "./getEventAuth.js";
import { getEventByTimestamp } from "./getEventByTimestamp.js";
import { getFederationContent } from "./getContent.js";
import { getFederationContentThumbnail } from "./getContentThumbnail.js";
import { queryRoomDirectory } from "./queryRoomDirectory.js";
import { getFederationPublicRooms } from "./getPublicRooms.js";
import { queryFederationPublicRooms } from "./queryPublicRooms.js";
import { getFederationSpaceHierarchy } from "./getSpaceHierarchy.js";
import { exchangeOpenIdToken } from "./exchangeOpenIdToken.js";

export const federationRoutes: Route<unknown>[] = [getServerKey, queryKeys, getQueryKeys, getVersion, queryProfile, sendTransaction] as Route<unknown>[];

// End-to-end encryption: other servers ask for our users' keys and devices.
federationRoutes.push(...([queryUserEncryptionKeys, claimUserEncryptionKeys, getUserDevices] as Route<unknown>[]));

// Rooms shared with other servers: joins, and the events other servers ask for.
federationRoutes.push(...([makeJoin, sendJoinV2, getEvent, getMissingPreviousEvents] as Route<unknown>[]));

// Memberships with other servers: invites of our users, leaves (rejected invites) and knocks.
federationRoutes.push(...([sendInviteV2, sendInviteV1, makeLeave, sendLeaveV2, makeKnock, sendKnock] as Route<unknown>[]));

// Room history and state at past events, for servers in the room (backfill, state, auth chains, jump to date).
federationRoutes.push(...([backfillRoom, getRoomState, getRoomStateIds, getEventAuth, getEventByTimestamp] as Route<unknown>[]));

// Our users' media, for servers whose users want it (the content repository over federation).
federationRoutes.push(...([getFederationContent, getFederationContentThumbnail] as Route<unknown>[]));

// Directories, spaces and OpenID: aliases, published rooms and space trees for other servers; user IDs for OpenID tokens.
federationRoutes.push(...([queryRoomDirectory, getFederationPublicRooms, queryFederationPublicRooms, getFederationSpaceHierarchy, exchangeOpenIdToken] as Route<unknown>[]));
