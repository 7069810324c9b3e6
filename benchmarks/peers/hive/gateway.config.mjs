// Hive Gateway peer for the Tandem benchmark, on the router runtime.
//   hive-gateway supergraph path/to/supergraph.graphql --host 127.0.0.1 --port 4300
// (run from this folder, so that the CLI finds this file as its default config).
//
// The router runtime replaces Hive Gateway's JavaScript query planner and executor with
// Hive Router's (the Rust query planner as a Node addon, @graphql-hive/router-query-planner).
// It is set here, and not with the CLI's --hive-router-runtime flag, because that flag
// silently falls back to the JavaScript runtime when the package cannot be loaded: an
// import that fails here stops the gateway instead. The wrapper only prints one line when
// the gateway builds its graph with it, which the benchmark runner looks for in the log.
// Everything else is Hive Gateway's default configuration.
import { unifiedGraphHandler } from '@graphql-hive/router-runtime';

export const ROUTER_RUNTIME_MARKER = 'tandem-bench: unified graph built by @graphql-hive/router-runtime';

export const gatewayConfig = {
  unifiedGraphHandler(opts) {
    console.log(`${ROUTER_RUNTIME_MARKER} (node ${process.version})`);
    return unifiedGraphHandler(opts);
  },
};
