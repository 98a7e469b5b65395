/**
 * The SQLite search indexer (services/search/search-indexer.ts) at a server's stop, on a real
 * database: what a send adds after the indexer closed is left to the next start's catch-up, and a write
 * that fails while stopping (the database already closed under it) is reported once and not retried,
 * so nothing keeps the stopping process alive or fills its log.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { pino } from "pino";
import { SearchIndexer } from "../../src/services/search/search-indexer.js";
import { SearchStore } from "../../src/storage/search-store.js";
import type { SearchRow } from "../../src/storage/search-index-sql.js";
import { openTestDb } from "../harness/databases.js";

function capturingLogger(): { log: pino.Logger; lines: () => { level: number; msg: string }[] } {
  const lines: { level: number; msg: string }[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split("\n").filter(Boolean)) lines.push(JSON.parse(line) as { level: number; msg: string });
      done();
    },
  });
  return { log: pino({ level: "info" }, sink), lines: () => lines };
}

const row = (eventNid: number): SearchRow => ({ eventNid, roomNid: 1, sender: "@a:x", key: "content.body", streamOrdering: eventNid, originServerTs: 0, text: `words of event ${eventNid}` });
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe("search indexer at stop", () => {
  it("leaves rows added after its close to the next start, and retries nothing", async () => {
    const { db, cleanup } = await openTestDb("sqlite");
    const { log, lines } = capturingLogger();
    const indexer = new SearchIndexer(new SearchStore(db), log);
    try {
      indexer.add(row(1));
      await indexer.close();
      const indexed = await db.kysely.selectFrom("event_search").select("event_nid").execute();
      assert.deepEqual(indexed.map((r) => Number(r.event_nid)), [1], "what waited at the close was written");
      await cleanup();
      // A send that was under way commits now; the database is gone.
      indexer.add(row(2));
      await sleep(1_200);
      assert.deepEqual(lines(), [], "nothing written, nothing failed, nothing retried");
    } finally {
      await cleanup().catch(() => undefined);
    }
  });

  it("reports a write that fails while stopping once, without trying again", async () => {
    const { db, cleanup } = await openTestDb("sqlite");
    const { log, lines } = capturingLogger();
    const indexer = new SearchIndexer(new SearchStore(db), log);
    indexer.add(row(3));
    await cleanup(); // the database closes before the indexer does
    await indexer.close();
    await sleep(1_200);
    assert.equal(lines().length, 1, JSON.stringify(lines()));
    assert.match(lines()[0]?.msg ?? "", /while stopping/);
  });
});
