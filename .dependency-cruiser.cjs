/**
 * The dependency direction of ARCHITECTURE.md:
 *   main -> homeserver -> context -> all; http -> services; services -> storage, notifier, protocol;
 *   storage -> protocol; protocol -> nothing. No cycles.
 */
const layer = (name) => `^src/${name}/`;
module.exports = {
  forbidden: [
    { name: "no-cycles", severity: "error", from: {}, to: { circular: true } },
    {
      name: "protocol-is-pure",
      comment: "protocol/ imports nothing outside protocol/ (no I/O, no other layer, no node: modules with I/O)",
      severity: "error",
      from: { path: layer("protocol") },
      to: { pathNot: [layer("protocol"), "^node_modules/", "^(crypto|node:crypto)$"] },
    },
    {
      name: "protocol-no-io-builtins",
      severity: "error",
      from: { path: layer("protocol") },
      to: { dependencyTypes: ["core"], pathNot: ["^(node:)?(crypto|buffer|util)$"] },
    },
    {
      name: "storage-only-protocol",
      severity: "error",
      from: { path: layer("storage") },
      to: { path: "^src/", pathNot: [layer("storage"), layer("protocol"), "^src/errors\\.ts$", "^src/logger\\.ts$", "^src/lru\\.ts$", "^src/package-files\\.ts$"] },
    },
    {
      name: "notifier-only-protocol",
      severity: "error",
      from: { path: layer("notifier") },
      to: { path: "^src/", pathNot: [layer("notifier"), layer("protocol"), "^src/errors\\.ts$", "^src/logger\\.ts$"] },
    },
    {
      name: "services-never-http",
      severity: "error",
      from: { path: layer("services") },
      to: { path: [layer("http"), "^src/(context|homeserver|main)\\.ts$"] },
    },
    {
      name: "http-never-storage",
      severity: "error",
      from: { path: layer("http") },
      to: { path: [layer("storage"), "^src/(context|homeserver|main)\\.ts$"] },
    },
    {
      name: "config-is-a-leaf",
      severity: "error",
      from: { path: layer("config") },
      to: { path: "^src/", pathNot: [layer("config"), layer("protocol"), "^src/errors\\.ts$"] },
    },
    {
      name: "only-main-uses-homeserver",
      severity: "error",
      from: { path: "^src/", pathNot: "^src/main\\.ts$" },
      to: { path: "^src/homeserver\\.ts$" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsConfig: { fileName: "tsconfig.json" },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { exportsFields: ["exports"], conditionNames: ["import", "require", "node", "default"] },
  },
};
