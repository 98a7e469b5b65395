/** End-to-end encryption tables: device, one-time, fallback and cross-signing keys; device lists; to-device messages; dehydrated devices. */
import { autoId, type Migration } from "./helpers.js";

export const e2eKeysMigration: Migration = {
  name: "019-e2e-keys",
  async up({ db, dialect }) {
    await db.schema
      .createTable("e2e_device_keys")
      .addColumn("user_id", "text", (c) => c.notNull())
      .addColumn("device_id", "text", (c) => c.notNull())
      .addColumn("key_json", "text", (c) => c.notNull())
      .addPrimaryKeyConstraint("e2e_device_keys_pk", ["user_id", "device_id"])
      .execute();

    await autoId(db.schema.createTable("e2e_one_time_keys"), "id", dialect)
      .addColumn("user_id", "text", (c) => c.notNull())
      .addColumn("device_id", "text", (c) => c.notNull())
      .addColumn("algorithm", "text", (c) => c.notNull())
      .addColumn("key_id", "text", (c) => c.notNull())
      .addColumn("key_json", "text", (c) => c.notNull())
      .addUniqueConstraint("e2e_one_time_keys_key", ["user_id", "device_id", "algorithm", "key_id"])
      .execute();
    await db.schema.createIndex("e2e_one_time_keys_claim").on("e2e_one_time_keys").columns(["user_id", "device_id", "algorithm", "id"]).execute();

    await db.schema
      .createTable("e2e_fallback_keys")
      .addColumn("user_id", "text", (c) => c.notNull())
      .addColumn("device_id", "text", (c) => c.notNull())
      .addColumn("algorithm", "text", (c) => c.notNull())
      .addColumn("key_id", "text", (c) => c.notNull())
      .addColumn("key_json", "text", (c) => c.notNull())
      .addColumn("used", "integer", (c) => c.notNull())
      .addPrimaryKeyConstraint("e2e_fallback_keys_pk", ["user_id", "device_id", "algorithm"])
      .execute();

    await db.schema
      .createTable("e2e_cross_signing_keys")
      .addColumn("user_id", "text", (c) => c.notNull())
      .addColumn("key_type", "text", (c) => c.notNull())
      .addColumn("public_key", "text", (c) => c.notNull())
      .addColumn("key_json", "text", (c) => c.notNull())
      .addPrimaryKeyConstraint("e2e_cross_signing_keys_pk", ["user_id", "key_type"])
      .execute();

    await db.schema
      .createTable("e2e_signatures")
      .addColumn("signer_user_id", "text", (c) => c.notNull())
      .addColumn("signer_key_id", "text", (c) => c.notNull())
      .addColumn("target_user_id", "text", (c) => c.notNull())
      .addColumn("target_key_id", "text", (c) => c.notNull())
      .addColumn("signature", "text", (c) => c.notNull())
      .addPrimaryKeyConstraint("e2e_signatures_pk", ["target_user_id", "target_key_id", "signer_user_id", "signer_key_id"])
      .execute();

    await db.schema
      .createTable("device_list_changes")
      .addColumn("stream_id", "bigint", (c) => c.notNull())
      .addColumn("user_id", "text", (c) => c.notNull())
      .addColumn("for_user_id", "text")
      .execute();
    await db.schema.createIndex("device_list_changes_stream").on("device_list_changes").column("stream_id").execute();

    await db.schema
      .createTable("to_device_messages")
      .addColumn("stream_id", "bigint", (c) => c.primaryKey())
      .addColumn("user_id", "text", (c) => c.notNull())
      .addColumn("device_id", "text", (c) => c.notNull())
      .addColumn("sender", "text", (c) => c.notNull())
      .addColumn("type", "text", (c) => c.notNull())
      .addColumn("content", "text", (c) => c.notNull())
      .execute();
    await db.schema.createIndex("to_device_messages_device").on("to_device_messages").columns(["user_id", "device_id", "stream_id"]).execute();

    await db.schema
      .createTable("to_device_txn_ids")
      .addColumn("user_id", "text", (c) => c.notNull())
      .addColumn("device_id", "text", (c) => c.notNull())
      .addColumn("txn_id", "text", (c) => c.notNull())
      .addColumn("created_ts", "bigint", (c) => c.notNull())
      .addPrimaryKeyConstraint("to_device_txn_ids_pk", ["user_id", "device_id", "txn_id"])
      .execute();

    await db.schema
      .createTable("dehydrated_devices")
      .addColumn("user_id", "text", (c) => c.primaryKey())
      .addColumn("device_id", "text", (c) => c.notNull())
      .addColumn("device_data", "text", (c) => c.notNull())
      .execute();

    await db.schema
      .createTable("stream_floors")
      .addColumn("stream", "text", (c) => c.primaryKey())
      .addColumn("position", "bigint", (c) => c.notNull())
      .execute();
  },
};
