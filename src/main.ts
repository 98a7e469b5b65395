/**
 * The `tessera` command line. The only module that touches process signals and exit codes.
 * Until the homeserver lands, `start` reports what the protocol core supports.
 */
import { DEFAULT_ROOM_VERSION, SUPPORTED_ROOM_VERSIONS } from "./protocol/room-versions.js";

function main(argv: string[]): number {
  const [command = "start"] = argv;
  switch (command) {
    case "start":
      console.log("Tessera: the Matrix protocol core is in place; the homeserver itself is being built.");
      console.log(`Room versions supported: ${SUPPORTED_ROOM_VERSIONS.join(", ")} (default ${DEFAULT_ROOM_VERSION}).`);
      return 0;
    default:
      console.error(`unknown command: ${command}`);
      return 2;
  }
}

process.exitCode = main(process.argv.slice(2));
