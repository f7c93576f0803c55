// A real OpenID Provider (npm `oidc-provider`, a certified implementation) on loopback, for
// Handshake's end-to-end tests. Started by tests/integration/oidc_op.rs as
//
//   node op.mjs --state-dir DIR [--port P]
//
// It listens on 127.0.0.1 only (port 0 or no --port: any free port), prints its issuer URL
// (`http://127.0.0.1:PORT`) as the first line on stdout once it answers, and reads from DIR:
//   client.json  {client_id, client_secret, redirect_uris[], ...more client metadata}
//   users.json   {"<login>": {<claims>}}: the login typed on the OP's login page is the `sub`
// users.json is read on every claims lookup, so a test may change claims between logins.
// client.json is read when the Provider is built: at start and at `POST /__test/reload`.
//
// Test control routes (loopback only, like everything here):
//   POST /__test/rotate  a new RS256 signing key goes first; the previous one stays in the
//                        JWKS for verification; answers {"kid": new, "kids": [all]}
//   POST /__test/reload  builds a new Provider from client.json (sessions, grants and codes
//                        live in the module-level memory adapter, so they survive)
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { generateKeyPairSync } from 'node:crypto';

import Provider from 'oidc-provider';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
};
const dir = arg('state-dir');
if (!dir) {
  console.error('op.mjs: --state-dir DIR is required');
  process.exit(2);
}
const port = Number(arg('port', '0'));
const read = (file) => JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));

let generation = 0;
const newKey = () => {
  generation += 1;
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid: `k${generation}`, use: 'sig', alg: 'RS256' };
};
let keys = [newKey()];

function make(issuer) {
  const client = read('client.json');
  return new Provider(issuer, {
    clients: [{
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'RS256',
      ...client,
    }],
    pkce: { required: () => true }, // S256 is the only method by default
    conformIdTokenClaims: false, // the scopes' claims go in the ID token too, not only userinfo
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'given_name', 'family_name', 'preferred_username', 'updated_at'],
      groups: ['groups'],
    },
    scopes: ['openid', 'email', 'profile', 'groups', 'offline_access'],
    features: { devInteractions: { enabled: true } },
    cookies: { keys: ['handshake-e2e-cookie-key'] },
    jwks: { keys },
    ttl: {
      AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 600, Grant: 600,
    },
    async findAccount(ctx, sub) {
      const user = read('users.json')[sub]; // read again: the test changes claims between logins
      if (!user) return undefined;
      return { accountId: sub, async claims() { return { ...user, sub }; } };
    },
  });
}

const json = (res, status, body) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

let current;
const server = http.createServer((req, res) => {
  try {
    if (req.method === 'POST' && req.url === '/__test/rotate') {
      keys = [newKey(), ...keys.slice(0, 1)];
      current = make(current.issuer);
      return json(res, 200, { kid: keys[0].kid, kids: keys.map((k) => k.kid) });
    }
    if (req.method === 'POST' && req.url === '/__test/reload') {
      current = make(current.issuer);
      res.writeHead(204);
      return res.end();
    }
  } catch (err) {
    return json(res, 500, { error: 'test_control_failed', error_description: String(err) });
  }
  return current.callback()(req, res);
});

server.listen(port, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  try {
    current = make(issuer);
  } catch (err) {
    console.error(`op.mjs: cannot build the provider: ${err.stack || err}`);
    process.exit(1);
  }
  console.log(issuer);
});
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)));
