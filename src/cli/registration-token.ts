/** `tessera registration-token create|list|delete`: manages registration tokens in the database. */
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { loadConfig } from "../config/load-config.js";
import { Db } from "../storage/db.js";
import { migrate } from "../storage/migrations/index.js";
import { UiaStore } from "../storage/uia-store.js";

export async function registrationTokenCommand(args: string[], defaultConfigPath: string): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      config: { type: "string", short: "c" },
      uses: { type: "string" },
      "expires-in-days": { type: "string" },
    },
  });
  const [action, tokenArg] = positionals;
  const config = loadConfig(values.config ?? defaultConfigPath);
  const db = await Db.open({ url: config.database, ...(config.database_schema ? { schema: config.database_schema } : {}) });
  try {
    await migrate(db);
    const store = new UiaStore(db);
    switch (action) {
      case "create": {
        const token = tokenArg ?? randomBytes(12).toString("base64url");
        const uses = values.uses !== undefined ? Number(values.uses) : null;
        const days = values["expires-in-days"] !== undefined ? Number(values["expires-in-days"]) : null;
        if ((uses !== null && !(uses > 0)) || (days !== null && !(days > 0))) {
          console.error("--uses and --expires-in-days take positive numbers");
          return 2;
        }
        if (!(await store.createRegistrationToken(token, uses, days !== null ? Date.now() + days * 86_400_000 : null))) {
          console.error(`token ${token} exists already`);
          return 1;
        }
        console.log(token);
        return 0;
      }
      case "list":
        for (const t of await store.listRegistrationTokens()) {
          console.log(`${t.token}\tused ${t.completed}${t.usesAllowed !== null ? `/${t.usesAllowed}` : ""}\t${t.expiryTs !== null ? `expires ${new Date(t.expiryTs).toISOString()}` : "no expiry"}`);
        }
        return 0;
      case "delete":
        if (!tokenArg) break;
        return (await store.deleteRegistrationToken(tokenArg)) ? 0 : 1;
    }
    console.error("usage: tessera registration-token create [--uses N] [--expires-in-days D] [TOKEN] | list | delete TOKEN");
    return 2;
  } finally {
    await db.close();
  }
}
