/** Accounts: users, profiles, devices, tokens, user-interactive auth sessions, registration tokens. */
import { autoId, type Migration } from "./helpers.js";

export const accountsMigration: Migration = {
  name: "001-accounts",
  async up({ db, dialect }) {
    await db.schema
      .createTable("users")
      .addColumn("user_id", "text", (c) => c.primaryKey())
      .addColumn("password_hash", "text")
      .addColumn("created_ts", "bigint", (c) => c.notNull())
      .addColumn("is_admin", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("is_guest", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("deactivated", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("locked", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("suspended", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("shadow_banned", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("user_type", "text")
      .addColumn("appservice_id", "text")
      .execute();

    await db.schema
      .createTable("profile_fields")
      .addColumn("user_id", "text", (c) => c.notNull())
      .addColumn("field", "text", (c) => c.notNull())
      .addColumn("value", "text", (c) => c.notNull())
      .addPrimaryKeyConstraint("profile_fields_pk", ["user_id", "field"])
      .execute();

    await db.schema
      .createTable("devices")
      .addColumn("user_id", "text", (c) => c.notNull())
      .addColumn("device_id", "text", (c) => c.notNull())
      .addColumn("display_name", "text")
      .addColumn("created_ts", "bigint", (c) => c.notNull())
      .addColumn("last_seen_ts", "bigint")
      .addColumn("last_seen_ip", "text")
      .addColumn("last_seen_user_agent", "text")
      .addColumn("hidden", "integer", (c) => c.notNull().defaultTo(0))
      .addPrimaryKeyConstraint("devices_pk", ["user_id", "device_id"])
      .execute();

    await autoId(db.schema.createTable("access_tokens"), "id", dialect)
      .addColumn("token_hash", "text", (c) => c.notNull().unique())
      .addColumn("user_id", "text", (c) => c.notNull())
      .addColumn("device_id", "text")
      .addColumn("created_ts", "bigint", (c) => c.notNull())
      .addColumn("valid_until_ts", "bigint")
      .addColumn("refresh_token_id", "bigint")
      .addColumn("used", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("puppets_user_id", "text")
      .execute();
    await db.schema.createIndex("access_tokens_user_device").on("access_tokens").columns(["user_id", "device_id"]).execute();

    await autoId(db.schema.createTable("refresh_tokens"), "id", dialect)
      .addColumn("token_hash", "text", (c) => c.notNull().unique())
      .addColumn("user_id", "text", (c) => c.notNull())
      .addColumn("device_id", "text", (c) => c.notNull())
      .addColumn("created_ts", "bigint", (c) => c.notNull())
      .addColumn("expiry_ts", "bigint")
      .addColumn("next_token_id", "bigint")
      .execute();
    await db.schema.createIndex("refresh_tokens_user_device").on("refresh_tokens").columns(["user_id", "device_id"]).execute();

    await db.schema
      .createTable("login_tokens")
      .addColumn("token_hash", "text", (c) => c.primaryKey())
      .addColumn("user_id", "text", (c) => c.notNull())
      .addColumn("expiry_ts", "bigint", (c) => c.notNull())
      .addColumn("used_ts", "bigint")
      .execute();

    await db.schema
      .createTable("openid_tokens")
      .addColumn("token", "text", (c) => c.primaryKey())
      .addColumn("user_id", "text", (c) => c.notNull())
      .addColumn("expiry_ts", "bigint", (c) => c.notNull())
      .execute();

    await db.schema
      .createTable("uia_sessions")
      .addColumn("session_id", "text", (c) => c.primaryKey())
      .addColumn("created_ts", "bigint", (c) => c.notNull())
      .addColumn("user_id", "text")
      .addColumn("request_fingerprint", "text", (c) => c.notNull())
      .addColumn("completed_stages", "text", (c) => c.notNull())
      .addColumn("client_dict", "text", (c) => c.notNull())
      .addColumn("results", "text", (c) => c.notNull())
      .execute();

    await db.schema
      .createTable("registration_tokens")
      .addColumn("token", "text", (c) => c.primaryKey())
      .addColumn("uses_allowed", "integer")
      .addColumn("pending", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("completed", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("expiry_ts", "bigint")
      .execute();
  },
};
