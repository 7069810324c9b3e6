// A real OpenID provider for Tandem's SSO tests: panva's oidc-provider (pinned in
// package.json), configured from a JSON file, listening on loopback only.
//
//   node server.mjs --config settings.json     (or OIDC_PROVIDER_CONFIG=settings.json)
//
// The settings (all optional except users/clients for anything useful):
//   host            "127.0.0.1" (the only address it listens on; loopback is enforced)
//   port            0 = any free port; the issuer is http://127.0.0.1:<port>
//   ready_file      written (atomically) with {"issuer", "port", "pid"} once it serves
//   exit_with_parent  true: exit when the process that started this one goes away
//   cookie_secret   signs the provider's cookies (random when absent)
//   registration_token  initial access token for dynamic client registration (RFC 7591)
//   ttl             seconds: AccessToken, ClientCredentials, IdToken, RefreshToken,
//                   AuthorizationCode, Interaction, Session, Grant
//   clients         oidc-provider client metadata (client_id, client_secret, redirect_uris,
//                   post_logout_redirect_uris, backchannel_logout_uri, grant_types, ...)
//   users           [{"username", "password", "sub", "claims": {email, name, groups,
//                   roles, department, ...}}]
//   resources       {"<indicator>": {"scope", "audience", "accessTokenTTL",
//                   "accessTokenFormat" ("jwt" | "opaque")}}
//
// Logins go through this file's own login and consent pages, which check passwords (the
// library's development pages accept any password and are disabled).
//
// Test-only admin endpoints, loopback callers only:
//   POST /__test/rotate-keys         {"drop_previous": false} -> {"kid", "kids"}
//                                    a new signing key, current from now on
//   POST /__test/backchannel-logout  {"client_id", "sub", "sid"} -> sends a logout token
//   GET  /__test/events              what happened: logins, refusals, back-channel results

import { randomBytes, randomUUID, timingSafeEqual, createHash } from 'node:crypto';
import { generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import http from 'node:http';

import Provider, { errors } from 'oidc-provider';
// Internals of the pinned version, used only to swap the signing keys at run time
// (oidc-provider reads its keystore once, at construction).
import instance from 'oidc-provider/lib/helpers/weak_cache.js';
import initializeKeystore from 'oidc-provider/lib/helpers/initialize_keystore.js';

const generateKeyPairAsync = promisify(generateKeyPair);
const SIGNING_ALG = 'RS256';
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', 'localhost', '[::1]']);
const LOOPBACK_PEERS = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

function readSettings() {
  const flag = process.argv.indexOf('--config');
  const path = flag === -1 ? process.env.OIDC_PROVIDER_CONFIG : process.argv[flag + 1];
  if (process.env.OIDC_PROVIDER_CONFIG_JSON) {
    return JSON.parse(process.env.OIDC_PROVIDER_CONFIG_JSON);
  }
  if (!path) {
    throw new Error('usage: node server.mjs --config settings.json (or OIDC_PROVIDER_CONFIG)');
  }
  return JSON.parse(readFileSync(path, 'utf8'));
}

const settings = readSettings();
const host = settings.host ?? '127.0.0.1';
if (!LOOPBACK_PEERS.has(host)) {
  throw new Error(`refusing to listen on ${host}: this test provider listens on loopback only`);
}
const ttl = {
  AccessToken: 60,
  ClientCredentials: 60,
  IdToken: 300,
  RefreshToken: 24 * 3600,
  AuthorizationCode: 60,
  Interaction: 600,
  Session: 8 * 3600,
  Grant: 24 * 3600,
  ...settings.ttl,
};
const resources = settings.resources ?? {};
const users = (settings.users ?? []).map((user) => ({
  ...user,
  sub: user.sub ?? user.username,
  claims: { preferred_username: user.username, ...user.claims },
}));
const usersByName = new Map(users.map((user) => [user.username, user]));
const usersBySub = new Map(users.map((user) => [user.sub, user]));
const events = [];

function record(type, details = {}) {
  events.push({ type, at: Date.now() / 1000, ...details });
  if (events.length > 1000) events.shift();
}

// ---------------------------------------------------------------- signing keys

let keyCounter = 0;
let signingKeys = []; // private JWKs, the current one first

async function newSigningKey() {
  const { privateKey } = await generateKeyPairAsync('rsa', { modulusLength: 2048 });
  keyCounter += 1;
  const kid = `k${keyCounter}-${randomBytes(4).toString('hex')}`;
  return { ...privateKey.export({ format: 'jwk' }), kid, alg: SIGNING_ALG, use: 'sig' };
}

function publishedKids(provider) {
  return instance(provider).jwks.keys.map((key) => key.kid);
}

async function rotateKeys(provider, { dropPrevious = false } = {}) {
  const key = await newSigningKey();
  const keys = dropPrevious ? [key] : [key, ...signingKeys];
  // The keystore picks the first matching key to sign: the new one.
  initializeKeystore.call(provider, { keys });
  signingKeys = keys;
  const kids = publishedKids(provider);
  if (kids[0] !== key.kid) {
    throw new Error(`key rotation did not take: published ${kids.join(', ')}`);
  }
  record('keys.rotated', { kid: key.kid, kids });
  return { kid: key.kid, kids };
}

// ---------------------------------------------------------------- accounts

function passwordMatches(user, password) {
  // Compare digests so that the comparison takes the same time whatever the length.
  const expected = createHash('sha256').update(String(user?.password ?? randomUUID())).digest();
  const given = createHash('sha256').update(String(password ?? '')).digest();
  return timingSafeEqual(expected, given) && user !== undefined;
}

async function findAccount(_ctx, sub) {
  const user = usersBySub.get(sub);
  if (!user) return undefined;
  return {
    accountId: user.sub,
    async claims() {
      return { sub: user.sub, ...user.claims };
    },
  };
}

function accountTokenClaims(accountId) {
  const user = usersBySub.get(accountId);
  if (!user) return undefined;
  const picked = {};
  for (const name of ['name', 'email', 'groups', 'roles', 'department', 'preferred_username']) {
    if (user.claims[name] !== undefined) picked[name] = user.claims[name];
  }
  return picked;
}

// ---------------------------------------------------------------- pages

const escapeHtml = (value) => String(value).replace(/[&<>"']/g, (c) => ({
  '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;',
}[c]));

function page(title, body) {
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>
<body>
<main>
<h1>${escapeHtml(title)}</h1>
${body}
</main>
</body>
</html>
`;
}

function loginPage(uid, { client, error, username } = {}) {
  const message = error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : '';
  return page('Sign in', `
<p>Sign in to continue to ${escapeHtml(client?.clientName ?? client?.clientId ?? 'the application')}.</p>
${message}
<form id="login" method="post" action="/interaction/${escapeHtml(uid)}/login" autocomplete="off">
  <label>Username <input type="text" name="username" value="${escapeHtml(username ?? '')}" required></label>
  <label>Password <input type="password" name="password" required></label>
  <button type="submit" name="submit" value="login">Sign in</button>
</form>
<form id="abort" method="post" action="/interaction/${escapeHtml(uid)}/abort">
  <button type="submit" name="abort" value="yes">Cancel</button>
</form>`);
}

function consentPage(uid, { client, details }) {
  const scopes = [...(details.missingOIDCScope ?? [])];
  const claims = [...(details.missingOIDCClaims ?? [])];
  const resourceScopes = Object.entries(details.missingResourceScopes ?? {});
  const items = [
    ...scopes.map((scope) => `<li>scope: ${escapeHtml(scope)}</li>`),
    ...claims.map((claim) => `<li>claim: ${escapeHtml(claim)}</li>`),
    ...resourceScopes.map(([resource, list]) => `<li>${escapeHtml(resource)}: ${escapeHtml(list.join(' '))}</li>`),
  ];
  return page('Authorize', `
<p>${escapeHtml(client?.clientName ?? client?.clientId ?? 'The application')} asks for:</p>
<ul>${items.join('')}</ul>
<form id="consent" method="post" action="/interaction/${escapeHtml(uid)}/confirm">
  <button type="submit" name="consent" value="yes">Allow</button>
</form>
<form id="abort" method="post" action="/interaction/${escapeHtml(uid)}/abort">
  <button type="submit" name="abort" value="yes">Deny</button>
</form>`);
}

async function logoutSource(ctx, form) {
  // `form` is the library's <form id="op.logoutForm"> with its xsrf field; the buttons
  // belong to it through their form attribute. logout=yes ends the whole session.
  ctx.type = 'html';
  ctx.body = page('Sign out', `
<p>Do you want to sign out?</p>
${form}
<button type="submit" form="op.logoutForm" name="logout" value="yes">Yes, sign me out</button>
<button type="submit" form="op.logoutForm">No, stay signed in</button>`);
}

async function postLogoutSuccessSource(ctx) {
  ctx.type = 'html';
  ctx.body = page('Signed out', '<p id="signed-out">You are signed out.</p>');
}

async function renderError(ctx, out) {
  ctx.type = 'html';
  const rows = Object.entries(out)
    .map(([key, value]) => `<p><strong>${escapeHtml(key)}</strong>: <span class="${escapeHtml(key)}">${escapeHtml(value)}</span></p>`)
    .join('\n');
  ctx.body = page('Sign-in error', rows);
}

// ---------------------------------------------------------------- provider

function loopbackFetch(url, options) {
  // The library refuses outgoing calls to special-use addresses (loopback included)
  // through its own dispatcher; back-channel logout to the tests' receivers is loopback.
  const target = new URL(url);
  if (!LOOPBACK_HOSTS.has(target.hostname)) {
    return Promise.reject(new Error(`test provider: outgoing call to ${target.host} refused (loopback only)`));
  }
  const { dispatcher, ...rest } = options;
  return globalThis.fetch(url, rest);
}

function resourceServerInfo(_ctx, indicator) {
  const resource = resources[indicator];
  if (!resource) throw new errors.InvalidTarget(`unknown resource indicator ${indicator}`);
  const format = resource.accessTokenFormat ?? 'jwt';
  return {
    scope: resource.scope ?? '',
    audience: resource.audience ?? indicator,
    accessTokenTTL: resource.accessTokenTTL ?? ttl.AccessToken,
    accessTokenFormat: format,
    ...(format === 'jwt' ? { jwt: { sign: { alg: SIGNING_ALG } } } : {}),
  };
}

function buildProvider(issuer) {
  const configuration = {
    clients: settings.clients ?? [],
    clientDefaults: {
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: SIGNING_ALG,
    },
    jwks: { keys: signingKeys },
    cookies: {
      keys: [settings.cookie_secret ?? randomBytes(32).toString('hex')],
      // Distinct names: the gateway under test shares the 127.0.0.1 cookie jar.
      names: { session: 'op_session', interaction: 'op_interaction', resume: 'op_resume' },
    },
    findAccount,
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'given_name', 'family_name', 'preferred_username'],
      groups: ['groups', 'roles'],
      department: ['department'],
    },
    scopes: ['openid', 'offline_access', 'email', 'profile', 'groups', 'department'],
    // Claims granted by scope go into the ID token too, not only to userinfo.
    conformIdTokenClaims: false,
    responseTypes: ['code'],
    pkce: { required: () => true },
    // Refresh tokens for every client allowed the grant; without offline_access they end
    // with the provider session (expiresWithSession), like most enterprise providers.
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: true,
    extraTokenClaims: async (_ctx, token) => (token.accountId ? accountTokenClaims(token.accountId) : undefined),
    ttl: {
      AccessToken: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? ttl.AccessToken,
      ClientCredentials: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? ttl.ClientCredentials,
      IdToken: ttl.IdToken,
      RefreshToken: ttl.RefreshToken,
      AuthorizationCode: ttl.AuthorizationCode,
      Interaction: ttl.Interaction,
      Session: ttl.Session,
      Grant: ttl.Grant,
    },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true, allowedPolicy: async () => true },
      revocation: { enabled: true, allowedPolicy: async () => true },
      userinfo: { enabled: true },
      rpInitiatedLogout: { enabled: true, logoutSource, postLogoutSuccessSource },
      backchannelLogout: { enabled: true },
      registration: {
        enabled: true,
        initialAccessToken: settings.registration_token ?? randomBytes(24).toString('hex'),
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: async (_ctx, _client, oneOf) => oneOf,
        // A token request without `resource` still gets the resource granted at login.
        useGrantedResource: async () => true,
        getResourceServerInfo: resourceServerInfo,
      },
    },
    fetch: loopbackFetch,
    clientBasedCORS: () => false,
    renderError,
    interactions: { url: async (_ctx, interaction) => `/interaction/${interaction.uid}` },
  };
  const provider = new Provider(issuer, configuration);

  provider.on('backchannel.success', (_ctx, client, accountId, sid) => {
    record('backchannel.success', { client_id: client.clientId, sub: accountId, sid });
  });
  provider.on('backchannel.error', (_ctx, error, client, accountId, sid) => {
    record('backchannel.error', { client_id: client.clientId, sub: accountId, sid, error: String(error?.cause ?? error) });
    console.error(`back-channel logout to ${client.clientId} failed: ${error?.cause ?? error}`);
  });
  provider.on('end_session.success', () => record('end_session.success'));
  provider.on('grant.revoked', (_ctx, grantId) => record('grant.revoked', { grant_id: grantId }));
  provider.on('server_error', (_ctx, error) => console.error('server_error', error));
  return provider;
}

// ---------------------------------------------------------------- HTTP plumbing

async function readBody(req, limit = 64 * 1024) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > limit) throw new Error('request body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function send(res, status, body, type = 'text/html; charset=utf-8') {
  res.statusCode = status;
  res.setHeader('content-type', type);
  res.setHeader('cache-control', 'no-store');
  res.end(body);
}

const sendJson = (res, status, value) => send(res, status, JSON.stringify(value), 'application/json');

async function handleInteraction(provider, req, res, url) {
  const [, , uid, action] = url.pathname.split('/');
  let details;
  try {
    details = await provider.interactionDetails(req, res);
  } catch (error) {
    send(res, 400, page('Sign-in error', `<p class="error">${escapeHtml(error.message)}: start again from the application.</p>`));
    return;
  }
  if (details.uid !== uid) {
    send(res, 400, page('Sign-in error', '<p class="error">interaction mismatch</p>'));
    return;
  }
  const client = await provider.Client.find(details.params.client_id);
  const { prompt } = details;

  if (req.method === 'GET' && action === undefined) {
    if (prompt.name === 'login') {
      send(res, 200, loginPage(uid, { client, username: details.params.login_hint }));
    } else if (prompt.name === 'consent') {
      send(res, 200, consentPage(uid, { client, details: prompt.details }));
    } else {
      send(res, 400, page('Sign-in error', `<p class="error">unsupported prompt ${escapeHtml(prompt.name)}</p>`));
    }
    return;
  }
  if (req.method !== 'POST') {
    send(res, 405, page('Sign-in error', '<p class="error">method not allowed</p>'));
    return;
  }
  const form = new URLSearchParams(await readBody(req));

  if (action === 'login' && prompt.name === 'login') {
    const username = form.get('username') ?? '';
    const user = usersByName.get(username);
    if (!passwordMatches(user, form.get('password'))) {
      record('login.refused', { username, client_id: details.params.client_id });
      send(res, 401, loginPage(uid, { client, username, error: 'Invalid username or password.' }));
      return;
    }
    record('login.success', { username, sub: user.sub, client_id: details.params.client_id });
    await provider.interactionFinished(req, res, {
      login: { accountId: user.sub, amr: ['pwd'], acr: 'urn:tandem:loa:1' },
    }, { mergeWithLastSubmission: false });
    return;
  }

  if (action === 'confirm' && prompt.name === 'consent') {
    const { accountId } = details.session;
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId, clientId: details.params.client_id });
    const missing = prompt.details;
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    const grantId = await grant.save();
    const consent = details.grantId ? {} : { grantId };
    await provider.interactionFinished(req, res, { consent }, { mergeWithLastSubmission: true });
    return;
  }

  if (action === 'abort') {
    await provider.interactionFinished(req, res, {
      error: 'access_denied',
      error_description: 'End-User aborted interaction',
    }, { mergeWithLastSubmission: false });
    return;
  }

  send(res, 400, page('Sign-in error', `<p class="error">unexpected ${escapeHtml(action ?? 'request')} for prompt ${escapeHtml(prompt.name)}</p>`));
}

async function handleAdmin(provider, req, res, url) {
  if (!LOOPBACK_PEERS.has(req.socket.remoteAddress)) {
    sendJson(res, 403, { error: 'loopback only' });
    return;
  }
  const route = `${req.method} ${url.pathname}`;
  if (route === 'GET /__test/events') {
    sendJson(res, 200, { events });
    return;
  }
  const text = req.method === 'POST' ? await readBody(req) : '';
  const body = text ? JSON.parse(text) : {};
  if (route === 'POST /__test/rotate-keys') {
    sendJson(res, 200, await rotateKeys(provider, { dropPrevious: Boolean(body.drop_previous) }));
    return;
  }
  if (route === 'POST /__test/backchannel-logout') {
    const client = await provider.Client.find(String(body.client_id));
    if (!client?.backchannelLogoutUri) {
      sendJson(res, 400, { error: 'unknown client or no backchannel_logout_uri' });
      return;
    }
    try {
      await client.backchannelLogout(String(body.sub), body.sid === undefined ? undefined : String(body.sid));
      record('backchannel.success', { client_id: client.clientId, sub: body.sub, sid: body.sid, admin: true });
      sendJson(res, 200, { sent: true });
    } catch (error) {
      record('backchannel.error', { client_id: client.clientId, error: String(error?.cause ?? error), admin: true });
      sendJson(res, 502, { sent: false, error: String(error?.cause ?? error) });
    }
    return;
  }
  sendJson(res, 404, { error: 'no such test endpoint' });
}

// ---------------------------------------------------------------- start

signingKeys = [await newSigningKey()];

let handler = (_req, res) => send(res, 503, 'starting', 'text/plain');
const server = http.createServer((req, res) => {
  Promise.resolve(handler(req, res)).catch((error) => {
    console.error(error);
    if (!res.headersSent) send(res, 500, page('Server error', `<p>${escapeHtml(error.message)}</p>`));
    else res.end();
  });
});
server.keepAliveTimeout = 1000;

await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(settings.port ?? 0, host, resolve);
});
const { port } = server.address();
const issuer = `http://127.0.0.1:${port}`;
const provider = buildProvider(issuer);
const callback = provider.callback();

handler = async (req, res) => {
  const url = new URL(req.url, issuer);
  if (url.pathname.startsWith('/__test/')) return handleAdmin(provider, req, res, url);
  if (url.pathname.startsWith('/interaction/')) return handleInteraction(provider, req, res, url);
  return callback(req, res);
};

const ready = JSON.stringify({ issuer, port, pid: process.pid });
if (settings.ready_file) {
  writeFileSync(`${settings.ready_file}.tmp`, ready);
  renameSync(`${settings.ready_file}.tmp`, settings.ready_file);
}
console.log(`oidc-provider ready ${ready}`);

function stop() {
  server.close();
  server.closeAllConnections();
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
// Never outlive the process that started this one (a killed test run, say).
if (settings.exit_with_parent) {
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) stop();
  }, 500).unref();
}
