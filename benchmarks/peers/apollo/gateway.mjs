// Apollo Gateway peer for the Tandem benchmark.
//   SUPERGRAPH=path/to/supergraph.graphql PORT=4300 node gateway.mjs
// Default configuration: ApolloGateway with a static supergraph, Apollo Server's standalone
// HTTP server bound to loopback. No usage reporting (no APOLLO_KEY), no caching plugins.
import { readFileSync } from 'node:fs';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { ApolloGateway } from '@apollo/gateway';

const supergraphPath = process.env.SUPERGRAPH;
if (!supergraphPath) {
  console.error('SUPERGRAPH env var (path to the supergraph SDL) is required');
  process.exit(2);
}
const port = Number(process.env.PORT ?? 4000);
const host = process.env.HOST ?? '127.0.0.1';

const gateway = new ApolloGateway({ supergraphSdl: readFileSync(supergraphPath, 'utf8') });
const server = new ApolloServer({ gateway });
const { url } = await startStandaloneServer(server, { listen: { port, host } });
console.log(`apollo gateway ready at ${url} (node ${process.version})`);
