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
import { getEvent } from "./getEvent.js";
import { getMissingPreviousEvents } from "./getMissingPreviousEvents.js";
import { getFederationContent } from "./getContent.js";
import { getFederationContentThumbnail } from "./getContentThumbnail.js";

export const federationRoutes: Route<unknown>[] = [getServerKey, queryKeys, getQueryKeys, getVersion, queryProfile, sendTransaction] as Route<unknown>[];

// End-to-end encryption: other servers ask for our users' keys and devices.
federationRoutes.push(...([queryUserEncryptionKeys, claimUserEncryptionKeys, getUserDevices] as Route<unknown>[]));

// Rooms shared with other servers: joins, and the events other servers ask for.
federationRoutes.push(...([makeJoin, sendJoinV2, getEvent, getMissingPreviousEvents] as Route<unknown>[]));

// Our users' media, for servers whose users want it (the content repository over federation).
federationRoutes.push(...([getFederationContent, getFederationContentThumbnail] as Route<unknown>[]));
