/** Accounts, login, devices. */
import type { Route } from "../../route.js";
import { changePassword } from "./changePassword.js";
import { checkUsernameAvailability } from "./checkUsernameAvailability.js";
import { deactivateAccount } from "./deactivateAccount.js";
import { deleteDevice, deleteDevices, getDevice, getDevices, updateDevice } from "./devices.js";
import { getAccount3PIDs } from "./getAccount3PIDs.js";
import { getLoginFlows } from "./getLoginFlows.js";
import { getLoginToken } from "./getLoginToken.js";
import { getTokenOwner } from "./getTokenOwner.js";
import { login } from "./login.js";
import { logout, logoutAll } from "./logout.js";
import { refresh } from "./refresh.js";
import { register } from "./register.js";
import { registrationTokenValidity } from "./registrationTokenValidity.js";

export const accountRoutes = [
  register,
  checkUsernameAvailability,
  registrationTokenValidity,
  getLoginFlows,
  login,
  getLoginToken,
  refresh,
  logout,
  logoutAll,
  getTokenOwner,
  changePassword,
  deactivateAccount,
  getAccount3PIDs,
  getDevices,
  getDevice,
  updateDevice,
  deleteDevice,
  deleteDevices,
] as Route<unknown>[];
