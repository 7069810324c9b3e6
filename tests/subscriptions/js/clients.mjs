// Run one operation with the npm graphql-ws or graphql-sse client and print what it got:
//   node clients.mjs ws|sse URL '{"query": ..., "variables": ...}' '{"header": "value"}'
// Output: one JSON line per result, then {"complete": true} or {"error": ...}.
import { createClient as createWsClient } from "graphql-ws";
import { createClient as createSseClient } from "graphql-sse";
import WebSocket from "ws";

const [mode, url, operation, credentials] = process.argv.slice(2);
const payload = JSON.parse(operation);
const params = JSON.parse(credentials || "{}");

const client =
  mode === "ws"
    ? createWsClient({
        url,
        webSocketImpl: WebSocket,
        connectionParams: params, // identity in connection_init, as a browser must send it
        retryAttempts: 0,
      })
    : createSseClient({ url, headers: params, retryAttempts: 0 });

const print = (value) => process.stdout.write(JSON.stringify(value) + "\n");
await new Promise((resolve) => {
  client.subscribe(payload, {
    next: (result) => print(result),
    error: (error) => {
      const reason =
        error && typeof error === "object" && "code" in error
          ? { code: error.code, reason: error.reason }
          : Array.isArray(error)
            ? error
            : String(error);
      print({ error: reason });
      resolve();
    },
    complete: () => {
      print({ complete: true });
      resolve();
    },
  });
});
client.dispose();
