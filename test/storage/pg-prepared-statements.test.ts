import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { PreparedStatements } from "../../src/storage/pg-prepared-statements.js";

describe("PreparedStatements", () => {
  it("names a text from its third run on, the same name every time, and different texts differently", () => {
    const prepared = new PreparedStatements();
    const text = "SELECT * FROM events WHERE event_nid = $1";
    assert.equal(prepared.nameFor(text), undefined);
    assert.equal(prepared.nameFor(text), undefined);
    const name = prepared.nameFor(text);
    assert.ok(name?.startsWith("tessera_"));
    assert.equal(prepared.nameFor(text), name);
    for (let i = 0; i < 3; i++) prepared.nameFor("SELECT 2 WHERE $1");
    const other = prepared.nameFor("SELECT 2 WHERE $1");
    assert.ok(other !== undefined && other !== name);
  });

  it("keeps at most 200 prepared on a connection and still names those it has", () => {
    const prepared = new PreparedStatements();
    const names: string[] = [];
    for (let i = 0; i < 250; i++) {
      const text = `SELECT ${i} WHERE $1`;
      let name: string | undefined;
      for (let run = 0; run < 3; run++) name = prepared.nameFor(text);
      if (name !== undefined) names.push(name);
    }
    assert.equal(names.length, 200, "the first 200 texts that repeat are prepared, the rest run unnamed");
    assert.equal(prepared.nameFor("SELECT 0 WHERE $1"), names[0], "a prepared one keeps its name");
    assert.equal(prepared.nameFor("SELECT 249 WHERE $1"), undefined);
  });

  it("does not prepare texts that never repeat, however many there are", () => {
    const prepared = new PreparedStatements();
    for (let i = 0; i < 5000; i++) assert.equal(prepared.nameFor(`SELECT * FROM events WHERE event_nid IN (${"$1, ".repeat(i % 97)}$1) -- ${i}`), undefined);
  });
});
