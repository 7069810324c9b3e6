// Apollo Client (what browser and Node applications use) asking one query of the gateway with
// @defer support on: prints each result it emits as one JSON line, until the complete one.
// Usage: node client.mjs URL '{"query": ..., "variables": ...}' '{"header": "value"}'
import { ApolloClient, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { Defer20220824Handler } from "@apollo/client/incremental";

const [url, operation, headers] = process.argv.slice(2);
const { query, variables } = JSON.parse(operation);
const client = new ApolloClient({
  link: new HttpLink({ uri: url, headers: JSON.parse(headers) }),
  cache: new InMemoryCache(),
  incrementalHandler: new Defer20220824Handler(),
});
const watched = client.watchQuery({
  query: gql(query),
  variables,
  fetchPolicy: "no-cache",
  errorPolicy: "all",
});
await new Promise((resolve, reject) => {
  const subscription = watched.subscribe({
    next(result) {
      if (result.loading && result.data === undefined) return; // nothing received yet
      const line = { dataState: result.dataState, data: result.data };
      if (result.error) line.error = result.error.message;
      console.log(JSON.stringify(line));
      if (result.dataState === "complete") {
        subscription.unsubscribe();
        resolve();
      }
    },
    error: reject,
  });
});
