import { it } from "node:test";
import assert from "node:assert/strict";
import { threepidLookupHash } from "../../src/protocol/identity-hash.js";

it("hashes 3PIDs for identity-server lookups as the spec's example", () => {
  // content/identity-service-api.md, "sha256", pepper `matrixrocks`.
  assert.equal(threepidLookupHash("alice@example.com", "email", "matrixrocks"), "4kenr7N9drpCJ4AfalmlGQVsOn3o2RHjkADUpXJWZUc");
  assert.equal(threepidLookupHash("bob@example.com", "email", "matrixrocks"), "LJwSazmv46n0hlMlsb_iYxI0_HXEqy_yj6Jm636cdT8");
  assert.equal(threepidLookupHash("18005552067", "msisdn", "matrixrocks"), "nlo35_T5fzSGZzJApqu8lgIudJvmOQtDaHtr-I4rU7I");
});
