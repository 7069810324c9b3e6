// The console's one WebSocket to the gateway for GraphQL subscriptions: the npm graphql-ws
// client (protocol graphql-transport-ws) at /graphql on this origin. The browser sends the
// session cookie with the upgrade and the gateway checks its Origin, so nothing else is
// needed to be signed in. Opened at the first subscription and closed shortly after the
// last (graphql-ws is lazy); a dropped connection is tried again a few times, resubscribing.
import { createClient, type Client } from "graphql-ws";
import { GRAPHQL_PATH } from "./api";

/** "connecting" until the gateway acknowledges the connection, then "live"; "connecting"
 * again while a dropped connection is retried. */
export type Connection = "connecting" | "live";

type Listener = (state: Connection, reconnected: boolean) => void;

let client: Client | null = null;
let state: Connection = "connecting";
const listeners = new Set<Listener>();

function tell(next: Connection, reconnected = false): void {
  state = next;
  for (const listener of listeners) listener(next, reconnected);
}

/** The shared client, created on first use. */
export function liveClient(): Client {
  if (client === null) {
    const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    client = createClient({
      url: `${scheme}//${window.location.host}${GRAPHQL_PATH}`,
      retryAttempts: 5,
      on: {
        connected: (_socket, _payload, wasRetry) => tell("live", wasRetry),
        closed: () => tell("connecting"),
      },
    });
  }
  return client;
}

/** Follow the connection's state; ``listener`` also hears of a reconnection (what happened
 * while it was down was missed: reload). Returns the state now and how to stop listening. */
export function watchConnection(listener: Listener): [Connection, () => void] {
  listeners.add(listener);
  return [state, () => listeners.delete(listener)];
}
