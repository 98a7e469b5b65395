/**
 * The Ruma state-resolution vectors (/work/shared/test-vectors/state-res, MIT): 9 scenarios of PDU
 * batches, each resolved three ways (PDU by PDU as a server would, batch by batch, all at once) with
 * and without a caller-supplied auth-chain index, and 4 scenarios of state maps from MSC4297 that tell
 * state resolution v2 and v2.1 apart.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RoomEvent, StateMap } from "../../../src/protocol/event.js";
import { getRoomVersion } from "../../../src/protocol/room-versions.js";
import { resolveState, type StateResOptions } from "../../../src/protocol/state-res/resolve-state.js";
import {
  describeState,
  loadBatch,
  loadExpected,
  loadIdList,
  MapSource,
  naiveAuthChainIndex,
  stateOf,
  statesAlongDag,
  versionOf,
} from "./support.js";

const BATCH_SCENARIOS: Record<string, string[]> = {
  minimal_private_chat: ["bootstrap-private-chat"],
  minimal_public_chat: ["bootstrap-public-chat"],
  origin_server_ts_tiebreak: ["bootstrap-private-chat", "origin-server-ts-tiebreak"],
  ban_vs_power_levels: ["bootstrap-public-chat", "ban-vs-power-levels-alice", "ban-vs-power-levels-bob"],
  topic_vs_power_levels: ["bootstrap-public-chat", "topic-vs-power-levels-alice", "topic-vs-power-levels-bob"],
  power_levels_admin_vs_mod: ["bootstrap-public-chat", "power-levels-admin-vs-mod-alice", "power-levels-admin-vs-mod-bob"],
  topic_vs_ban: ["bootstrap-public-chat", "topic-vs-ban-common", "topic-vs-ban-alice", "topic-vs-ban-bob"],
  join_rules_vs_join: ["bootstrap-public-chat", "join-rules-vs-join-common", "join-rules-vs-join-alice", "join-rules-vs-join-ella"],
  concurrent_joins: ["bootstrap-public-chat", "concurrent-joins-charlie", "concurrent-joins-ella"],
};

const STATE_MAP_SCENARIOS: Record<string, { maps: string[]; pdus: string }> = {
  msc4297_problem_a_state_res_v2_0: { maps: ["MSC4297-problem-A/state-bob", "MSC4297-problem-A/state-charlie"], pdus: "MSC4297-problem-A/pdus-v11" },
  msc4297_problem_a_state_res_v2_1: { maps: ["MSC4297-problem-A/state-bob", "MSC4297-problem-A/state-charlie"], pdus: "MSC4297-problem-A/pdus-v12" },
  msc4297_problem_b_state_res_v2_0: { maps: ["MSC4297-problem-B/state-eve", "MSC4297-problem-B/state-zara"], pdus: "MSC4297-problem-B/pdus-v11" },
  msc4297_problem_b_state_res_v2_1: { maps: ["MSC4297-problem-B/state-eve", "MSC4297-problem-B/state-zara"], pdus: "MSC4297-problem-B/pdus-v12" },
};

const MODES: Record<string, (version: ReturnType<typeof versionOf>, source: MapSource) => StateResOptions> = {
  "walking auth_events": () => ({}),
  "with an auth-chain index": (version, source) => naiveAuthChainIndex(version, source),
};

describe("state resolution vectors: batches", () => {
  for (const [name, files] of Object.entries(BATCH_SCENARIOS)) {
    for (const [mode, makeOptions] of Object.entries(MODES)) {
      it(`${name} (${mode})`, () => {
        const batches = files.map((file) => loadBatch(`${file}.json`));
        const all = batches.flat();
        const version = versionOf(all);
        const source = new MapSource(all);
        const options = makeOptions(version, source);

        // PDU by PDU, as a server computes the state after each event; then the forward extremities.
        const dag = statesAlongDag(version, all, source, options);
        assert.deepEqual([...dag.rejected], [], "no fixture event should be rejected");
        const pduByPdu = resolveState(
          version,
          dag.leaves.map((id) => dag.after.get(id) as StateMap<string>),
          source,
          options,
        );

        // Batch by batch: the previous result plus every PDU of the batch as its own state map.
        let batched: StateMap<string> | undefined;
        for (const batch of batches) {
          batched = resolveState(version, [...(batched ? [batched] : []), ...batch.map((event) => stateOf(event))], source, options);
        }

        // All at once.
        const atOnce = resolveState(version, all.map((event) => stateOf(event)), source, options);

        const expected = loadExpected(name);
        assert.deepEqual(describeState(pduByPdu), expected, "PDU by PDU");
        assert.deepEqual(describeState(batched as StateMap<string>), expected, "batch by batch");
        assert.deepEqual(describeState(atOnce), expected, "all at once");
      });
    }
  }
});

describe("state resolution vectors: state maps (MSC4297)", () => {
  for (const [name, { maps, pdus }] of Object.entries(STATE_MAP_SCENARIOS)) {
    for (const [mode, makeOptions] of Object.entries(MODES)) {
      it(`${name} (${mode})`, () => {
        const events = loadBatch(`${pdus}.json`);
        const version = versionOf(events);
        assert.equal(version.stateRes, name.endsWith("v2_1") ? "v2.1" : "v2");
        const source = new MapSource(events);
        const byId = new Map(events.map((event) => [event.event_id, event]));
        const stateMaps = maps.map((file) => stateOf(...loadIdList(`${file}.json`).map((id) => byId.get(id) as RoomEvent)));
        const resolved = resolveState(version, stateMaps, source, makeOptions(version, source));
        assert.deepEqual(describeState(resolved), loadExpected(name));
      });
    }
  }

  it("the v2 and v2.1 answers differ, so the scenarios test the difference", () => {
    for (const problem of ["a", "b"]) {
      assert.notDeepEqual(loadExpected(`msc4297_problem_${problem}_state_res_v2_0`), loadExpected(`msc4297_problem_${problem}_state_res_v2_1`));
    }
  });

  it("resolving the v12 PDUs with v2 (not v2.1) does not give the v2.1 answer", () => {
    // Same events, algorithm switched off: proves the v2.1 modifications are what produce the result.
    const events = loadBatch("MSC4297-problem-A/pdus-v12.json");
    const v12 = getRoomVersion("12");
    const v2Only = { ...v12, stateRes: "v2" as const };
    const byId = new Map(events.map((event) => [event.event_id, event]));
    const maps = ["MSC4297-problem-A/state-bob", "MSC4297-problem-A/state-charlie"].map((file) =>
      stateOf(...loadIdList(`${file}.json`).map((id) => byId.get(id) as RoomEvent)),
    );
    const resolved = resolveState(v2Only, maps, new MapSource(events));
    assert.notDeepEqual(describeState(resolved), loadExpected("msc4297_problem_a_state_res_v2_1"));
  });
});
