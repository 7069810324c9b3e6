#!/usr/bin/env node
// Compose a Federation 2 supergraph SDL from subgraphs, with @theguild/federation-composition.
//
//   node compose.mjs [-o FILE] [--url name=URL]... [--header "Name: value"]...
//                    [--header-env Name=VARIABLE]... [--timeout MS] [--wait MS] name=SOURCE...
//
// SOURCE is either an http(s) URL, whose `{ _service { sdl } }` is fetched over HTTP
// (and which becomes the subgraph's routing URL in join__graph, unless --url names
// another), or the path of a file holding the subgraph's SDL (give its routing URL with
// --url name=URL). --wait MS keeps retrying a subgraph that refuses connections for that
// long (one starting up). --header adds a request header to every _service fetch;
// --header-env takes the header's value from an environment variable, so a secret (e.g.
// the subgraphs' composition key) stays off the command line.
// Exit codes: 0 composed, 1 composition failed, 2 bad usage, 3 a subgraph could not be read.

import { readFile, writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { composeServices, compositionHasErrors } from "@theguild/federation-composition";
import { parse } from "graphql";

const SERVICE_QUERY = "query SubgraphSdl { _service { sdl } }";

class UsageError extends Error {}
class SourceError extends Error {}

function splitPair(text, what) {
  const at = text.indexOf("=");
  if (at <= 0 || at === text.length - 1) {
    throw new UsageError(`expected ${what} as name=value, got ${JSON.stringify(text)}`);
  }
  return [text.slice(0, at), text.slice(at + 1)];
}

function isUrl(source) {
  return /^https?:\/\//i.test(source);
}

async function fetchSdl(url, timeoutMs, headers) {
  let response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { ...headers, "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ query: SERVICE_QUERY }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    throw new SourceError(`${url}: ${error.cause?.message ?? error.message}`);
  }
  const text = await response.text();
  if (!response.ok) {
    const hint =
      response.status === 401 || response.status === 403
        ? " (does the subgraph want a credential? see --header / --header-env)"
        : "";
    throw new SourceError(`${url}: HTTP ${response.status}${hint}: ${text.slice(0, 500)}`);
  }
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    throw new SourceError(`${url}: response is not JSON: ${text.slice(0, 500)}`);
  }
  const sdl = body?.data?._service?.sdl;
  if (typeof sdl !== "string") {
    const errors = JSON.stringify(body?.errors ?? body).slice(0, 500);
    throw new SourceError(`${url}: no _service.sdl in response: ${errors}`);
  }
  return sdl;
}

async function fetchSdlWhenUp(url, timeoutMs, waitMs, headers) {
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      return await fetchSdl(url, timeoutMs, headers);
    } catch (error) {
      if (!(error instanceof SourceError) || Date.now() >= deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

async function readSubgraph(name, source, routingUrl, options) {
  const sdl = isUrl(source)
    ? await fetchSdlWhenUp(source, options.timeoutMs, options.waitMs, options.headers)
    : await readSdlFile(source);
  let typeDefs;
  try {
    typeDefs = parse(sdl);
  } catch (error) {
    throw new SourceError(`${name}: SDL does not parse: ${error.message}`);
  }
  return { name, typeDefs, url: routingUrl ?? (isUrl(source) ? source : undefined) };
}

async function readSdlFile(path) {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    throw new SourceError(`${path}: ${error.message}`);
  }
}

function parseCommandLine(argv) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      output: { type: "string", short: "o" },
      url: { type: "string", multiple: true, default: [] },
      header: { type: "string", multiple: true, default: [] },
      "header-env": { type: "string", multiple: true, default: [] },
      timeout: { type: "string", default: "10000" },
      wait: { type: "string", default: "0" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) return { help: true };
  if (positionals.length === 0) throw new UsageError("give at least one name=SOURCE");
  const urls = new Map(values.url.map((pair) => splitPair(pair, "--url")));
  const subgraphs = positionals.map((pair) => splitPair(pair, "a subgraph"));
  const names = subgraphs.map(([name]) => name);
  for (const name of urls.keys()) {
    if (!names.includes(name)) throw new UsageError(`--url names no subgraph: ${name}`);
  }
  if (new Set(names).size !== names.length) throw new UsageError("a subgraph is named twice");
  const timeoutMs = Number.parseInt(values.timeout, 10);
  if (!(timeoutMs > 0)) throw new UsageError("--timeout takes milliseconds");
  const waitMs = Number.parseInt(values.wait, 10);
  if (!(waitMs >= 0)) throw new UsageError("--wait takes milliseconds");
  const headers = parseHeaders(values.header, values["header-env"], process.env);
  return { output: values.output, urls, subgraphs, timeoutMs, waitMs, headers };
}

// A header name as HTTP defines it (a token), and a value without control characters.
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const HEADER_VALUE = /^[^\x00-\x08\x0a-\x1f\x7f]*$/;

function parseHeaders(pairs, fromEnv, env) {
  const headers = Object.create(null);
  const add = (name, value, what) => {
    if (!HEADER_NAME.test(name)) {
      throw new UsageError(`${what}: invalid header name ${JSON.stringify(name)}`);
    }
    if (!HEADER_VALUE.test(value)) {
      throw new UsageError(`${what}: the value of ${name} has control characters`);
    }
    const key = name.toLowerCase();
    if (key in headers) throw new UsageError(`${what}: header ${name} given twice`);
    headers[key] = value;
  };
  for (const pair of pairs) {
    const at = pair.indexOf(":");
    if (at <= 0) {
      throw new UsageError(`expected --header "Name: value", got ${JSON.stringify(pair)}`);
    }
    add(pair.slice(0, at).trim(), pair.slice(at + 1).trim(), "--header");
  }
  for (const pair of fromEnv) {
    const [name, variable] = splitPair(pair, "--header-env");
    const value = env[variable];
    if (value === undefined || value === "") {
      throw new UsageError(`--header-env ${name}: the environment variable ${variable} is not set`);
    }
    add(name, value, "--header-env");
  }
  return headers;
}

function printComposition(errors) {
  process.stderr.write(`composition failed with ${errors.length} error(s):\n`);
  for (const error of errors) {
    const code = error.extensions?.code ? `[${error.extensions.code}] ` : "";
    process.stderr.write(`  ${code}${error.message}\n`);
  }
}

async function main(argv) {
  const args = parseCommandLine(argv);
  if (args.help) {
    process.stdout.write(
      "usage: compose.mjs [-o FILE] [--url name=URL]... [--header 'Name: value']... " +
        "[--header-env Name=VARIABLE]... [--timeout MS] [--wait MS] name=URL|name=FILE...\n",
    );
    return 0;
  }
  const services = await Promise.all(
    args.subgraphs.map(([name, source]) =>
      readSubgraph(name, source, args.urls.get(name), args),
    ),
  );
  const result = composeServices(services);
  if (compositionHasErrors(result)) {
    printComposition(result.errors);
    return 1;
  }
  const sdl = result.supergraphSdl.replace(/\n*$/, "\n");
  if (args.output) await writeFile(args.output, sdl, "utf8");
  else process.stdout.write(sdl);
  return 0;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  if (error instanceof UsageError || error?.code?.startsWith?.("ERR_PARSE_ARGS")) {
    process.stderr.write(`compose.mjs: ${error.message}\n`);
    process.exitCode = 2;
  } else if (error instanceof SourceError) {
    process.stderr.write(`compose.mjs: cannot read subgraph: ${error.message}\n`);
    process.exitCode = 3;
  } else {
    throw error;
  }
}
