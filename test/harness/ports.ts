/** Loopback ports for servers the tests start (and for ones that must be down). */
import { createServer } from "node:net";

/**
 * A port that was free a moment ago (the server binds it right after), taken below the kernel's
 * ephemeral range (32768 and up on Linux): a port the kernel handed out for a probe is handed out again
 * to the next outgoing connection or `listen(0)` of any process, and another test file running at the
 * same time took one between the probe and the server's bind (EADDRINUSE). Random ports below that
 * range are only ever taken by choice.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (await canListen(port)) return port;
  }
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", () => resolve(false));
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(true)));
  });
}
