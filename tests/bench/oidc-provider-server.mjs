// Minimal node-oidc-provider for the client_credentials comparison in tests/bench/run.sh.
// ES256 signing key, one confidential machine client, JWT (RFC 9068) access tokens through the
// resourceIndicators feature: every token is for the resource https://api.bench.example.
// Env: PORT, CLIENT_ID, CLIENT_SECRET; INTROSPECTION=1 enables RFC 7662 introspection, which
// node-oidc-provider answers only for tokens it stores, so its access tokens are then opaque.
// REFRESH_TOKENS_FILE=<path> (with REFRESH_SEEDS=<n>) adds a confidential web client `web`
// (same secret) and writes n refresh tokens (openid offline_access, rotated on every use) for one
// account to <path> before listening: the refresh-grant comparison needs tokens without an
// interactive sign-in, one grant each (as after n sign-ins). Its grants and tokens then live in an
// unbounded Map (MapAdapter below: the built-in memory adapter is an LRU of 1,000 entries, which
// a refresh run overflows within a second, evicting the grants and failing every later refresh),
// its access tokens for `web` are opaque and its ID tokens ES256: less work per refresh than
// Gatehouse's database write and two signatures, so the comparison favours node-oidc-provider.
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { Provider } from 'oidc-provider';

const port = Number(process.env.PORT);
const introspection = process.env.INTROSPECTION === '1';
const refreshTokensFile = process.env.REFRESH_TOKENS_FILE;
const resource = 'https://api.bench.example';
const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'bench-es256', alg: 'ES256', use: 'sig' };

// Every model in one Map, with the grant index revokeByGrantId needs (rotation revokes a
// family on reuse). Nothing expires: the model checks expiry itself on find.
const stored = new Map();
class MapAdapter {
  constructor(model) { this.model = model; }

  key(id) { return `${this.model}:${id}`; }

  async upsert(id, payload) {
    stored.set(this.key(id), payload);
    if (payload.grantId) {
      const grant = `grant:${payload.grantId}`;
      if (!stored.has(grant)) stored.set(grant, new Set());
      stored.get(grant).add(this.key(id));
    }
  }

  async find(id) { return stored.get(this.key(id)); }

  async findByUid() { return undefined; }

  async findByUserCode() { return undefined; }

  async consume(id) {
    const payload = stored.get(this.key(id));
    if (payload) payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id) { stored.delete(this.key(id)); }

  async revokeByGrantId(grantId) {
    for (const key of stored.get(`grant:${grantId}`) ?? []) stored.delete(key);
    stored.delete(`grant:${grantId}`);
  }
}

const provider = new Provider(`http://127.0.0.1:${port}`, {
  ...(refreshTokensFile ? { adapter: MapAdapter } : {}),
  jwks: { keys: [jwk] },
  clients: [{
    client_id: process.env.CLIENT_ID,
    client_secret: process.env.CLIENT_SECRET,
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_basic',
    scope: 'api:read',
  }, ...(refreshTokensFile ? [{
    client_id: 'web',
    client_secret: process.env.CLIENT_SECRET,
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: ['https://app.bench.example/callback'],
    token_endpoint_auth_method: 'client_secret_basic',
  }] : [])],
  findAccount: (ctx, accountId) => ({ accountId, claims: () => ({ sub: accountId }) }),
  rotateRefreshToken: true,
  clientDefaults: { id_token_signed_response_alg: 'ES256' },
  scopes: ['openid', 'offline_access', 'api:read'],
  cookies: { keys: ['gatehouse-bench-cookie-key-not-secret'] },
  ttl: { ClientCredentials: 900 },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: introspection },
    resourceIndicators: {
      enabled: !refreshTokensFile,
      defaultResource: () => resource,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: 'api:read',
        audience: resource,
        accessTokenTTL: 900,
        accessTokenFormat: introspection ? 'opaque' : 'jwt',
        jwt: { sign: { alg: 'ES256' } },
      }),
    },
  },
});

if (refreshTokensFile) {
  const client = await provider.Client.find('web');
  const tokens = [];
  for (let i = 0; i < Number(process.env.REFRESH_SEEDS || 64); i += 1) {
    const grant = new provider.Grant({ accountId: 'bench-user', clientId: 'web' });
    grant.addOIDCScope('openid offline_access');
    // eslint-disable-next-line no-await-in-loop
    const grantId = await grant.save();
    const token = new provider.RefreshToken({
      accountId: 'bench-user',
      authTime: Math.floor(Date.now() / 1000),
      client,
      grantId,
      gty: 'authorization_code',
      scope: 'openid offline_access',
    });
    tokens.push(await token.save());
  }
  writeFileSync(refreshTokensFile, `${tokens.join('\n')}\n`);
}

provider.listen(port, '127.0.0.1', () => {
  console.log(`oidc-provider ${process.version} listening on 127.0.0.1:${port}`);
});
