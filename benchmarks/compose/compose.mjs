import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { readFileSync, writeFileSync } from 'node:fs';
const dir = process.argv[2];
const names = ['accounts', 'products', 'inventory', 'reviews'];
const services = names.map((name, i) => ({
  name,
  url: `http://127.0.0.1:${4101 + i}/graphql`,
  typeDefs: parse(readFileSync(`${dir}/${name}.graphql`, 'utf8')),
}));
const result = composeServices(services);
if (result.errors) { for (const e of result.errors) console.error(e.toString()); process.exit(1); }
for (const h of result.hints ?? []) console.error('hint:', h.toString());
writeFileSync(process.argv[3], result.supergraphSdl.trimEnd() + '\n');
