/**
 * `tessera register-user`: creates an account through the running server's shared-secret registration
 * endpoint (so it works whatever the database and however many processes serve it).
 */
import { createHmac, randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { loadConfig } from "../config/load-config.js";

export async function registerUserCommand(args: string[], defaultConfigPath: string): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      config: { type: "string", short: "c" },
      admin: { type: "boolean", default: false },
      password: { type: "string", short: "p" },
      url: { type: "string" },
    },
  });
  const name = positionals[0];
  if (!name) {
    console.error("usage: tessera register-user [--config FILE] [--admin] [--password P] [--url URL] NAME");
    return 2;
  }
  const config = loadConfig(values.config ?? defaultConfigPath);
  const secret = config.registration.shared_secret;
  if (!secret) {
    console.error("registration.shared_secret is not set in the config");
    return 1;
  }
  const listener = config.listeners.find((l) => l.resources.includes("client"));
  if (!listener && !values.url) {
    console.error("no listener serves the client API; pass --url");
    return 1;
  }
  const host = listener && (listener.bind_address === "0.0.0.0" || listener.bind_address === "::") ? "127.0.0.1" : listener?.bind_address;
  const base = values.url ?? `${listener?.tls ? "https" : "http"}://${host?.includes(":") ? `[${host}]` : host}:${listener?.port}`;
  const password = values.password ?? randomBytes(12).toString("base64url");
  const endpoint = `${base}/_synapse/admin/v1/register`;
  const nonceResponse = await fetch(endpoint);
  if (!nonceResponse.ok) {
    console.error(`the server refused a nonce: ${nonceResponse.status} ${await nonceResponse.text()}`);
    return 1;
  }
  const { nonce } = (await nonceResponse.json()) as { nonce: string };
  const mac = createHmac("sha1", secret)
    .update(`${nonce}\x00${name}\x00${password}\x00${values.admin ? "admin" : "notadmin"}`)
    .digest("hex");
  const response = await fetch(endpoint, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ nonce, username: name, password, admin: values.admin, mac }),
  });
  const body = (await response.json()) as Record<string, unknown>;
  if (!response.ok) {
    console.error(`registration failed: ${String(body["errcode"])} ${String(body["error"])}`);
    return 1;
  }
  console.log(`Registered ${String(body["user_id"])}${values.admin ? " (admin)" : ""}.`);
  if (!values.password) console.log(`Password: ${password}`);
  return 0;
}
