/** End-to-end encryption: device and one-time keys, key changes, to-device messages, cross-signing. */
import type { Route } from "../../route.js";
import { claimKeys } from "./claimKeys.js";
import { deleteDehydratedDevice, getDehydratedDevice, getDehydratedDeviceEvents, postDehydratedDeviceEvents, putDehydratedDevice } from "./dehydratedDevice.js";
import { getKeysChanges } from "./getKeysChanges.js";
import { queryKeys } from "./queryKeys.js";
import { sendToDevice } from "./sendToDevice.js";
import { uploadCrossSigningKeys } from "./uploadCrossSigningKeys.js";
import { uploadCrossSigningSignatures } from "./uploadCrossSigningSignatures.js";
import { uploadKeys } from "./uploadKeys.js";

export const e2eeRoutes: Route<unknown>[] = [uploadKeys, queryKeys, claimKeys, getKeysChanges, sendToDevice, uploadCrossSigningKeys, uploadCrossSigningSignatures];

// Dehydrated devices (MSC3814, unstable).
e2eeRoutes.push(getDehydratedDevice, putDehydratedDevice, deleteDehydratedDevice, getDehydratedDeviceEvents, postDehydratedDeviceEvents);
