/** Profiles and the user directory. */
import type { Route } from "../../route.js";
import { deleteProfileField } from "./deleteProfileField.js";
import { getProfileField } from "./getProfileField.js";
import { getUserProfile } from "./getUserProfile.js";
import { searchUserDirectory } from "./searchUserDirectory.js";
import { setProfileField } from "./setProfileField.js";

export const profileRoutes = [getUserProfile, getProfileField, setProfileField, deleteProfileField, searchUserDirectory] as Route<unknown>[];
