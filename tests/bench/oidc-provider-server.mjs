// Minimal node-oidc-provider for the client_credentials comparison in tests/bench/run.sh.
// ES256 signing key, one confidential machine client, JWT (RFC 9068) access tokens through the
// resourceIndicators feature: every token is for the resource https://api.bench.example.
// Env: PORT, CLIENT_ID, CLIENT_SECRET; INTROSPECTION=1 enables RFC 7662 introspection, which
// node-oidc-provider answers only for tokens it stores, so its access tokens are then opaque.
import { generateKeyPairSync } from 'node:crypto';
import { Provider } from 'oidc-provider';

const port = Number(process.env.PORT);
const introspection = process.env.INTROSPECTION === '1';
const resource = 'https://api.bench.example';
const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'bench-es256', alg: 'ES256', use: 'sig' };

const provider = new Provider(`http://127.0.0.1:${port}`, {
  jwks: { keys: [jwk] },
  clients: [{
    client_id: process.env.CLIENT_ID,
    client_secret: process.env.CLIENT_SECRET,
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_basic',
    scope: 'api:read',
  }],
  clientDefaults: { id_token_signed_response_alg: 'ES256' },
  scopes: ['api:read'],
  cookies: { keys: ['gatehouse-bench-cookie-key-not-secret'] },
  ttl: { ClientCredentials: 900 },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: introspection },
    resourceIndicators: {
      enabled: true,
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

provider.listen(port, '127.0.0.1', () => {
  console.log(`oidc-provider ${process.version} listening on 127.0.0.1:${port}`);
});
