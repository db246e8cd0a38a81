// Seed 004's risk answer of the JSON passkey sign-in: the account's organization forces a second
// step on untrusted devices, and this browser has never signed in, so a passkey sign-in gets
// the 403 "Additional verification required. Please use another login method." Prints
// "RESULT <json>".
import { base, run } from './lib.mjs';

const { ACCESS_TOKEN, USER_EMAIL } = process.env;

await run('passkey_risk', async (page) => {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true },
  });
  await page.addInitScript(() => {
    if (window.PublicKeyCredential) PublicKeyCredential.isConditionalMediationAvailable = async () => false;
  });
  await page.goto(`${base}/login`);

  const result = await page.evaluate(async ({ token, email }) => {
    const toBuffer = (v) => Uint8Array.from(atob(v.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (v.length % 4)) % 4)), (c) => c.charCodeAt(0)).buffer;
    const toB64u = (b) => (b ? btoa(String.fromCharCode(...new Uint8Array(b))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '') : null);
    const post = async (path, body, bearer) => {
      const headers = { 'Content-Type': 'application/json' };
      if (bearer) headers.Authorization = `Bearer ${bearer}`;
      const response = await fetch(path, { method: 'POST', headers, body: JSON.stringify(body) });
      return { status: response.status, body: await response.json() };
    };
    const start = await post('/auth/passkeys/register/start', { name: 'Key' }, token);
    const options = start.body.options;
    options.challenge = toBuffer(options.challenge);
    options.user.id = toBuffer(options.user.id);
    const created = await navigator.credentials.create({ publicKey: options });
    const registered = await post('/auth/passkeys/register/finish', {
      challenge_id: start.body.challenge_id,
      credential: {
        id: created.id, rawId: toB64u(created.rawId), type: created.type,
        response: { clientDataJSON: toB64u(created.response.clientDataJSON), attestationObject: toB64u(created.response.attestationObject) },
      },
    }, token);

    const begin = await post('/auth/passkeys/authenticate/start', { email });
    const request = begin.body.options;
    request.challenge = toBuffer(request.challenge);
    request.allowCredentials.forEach((c) => { c.id = toBuffer(c.id); });
    const got = await navigator.credentials.get({ publicKey: request });
    const finish = await post('/auth/passkeys/authenticate/finish', {
      challenge_id: begin.body.challenge_id,
      credential: {
        id: got.id, rawId: toB64u(got.rawId), type: got.type,
        response: {
          clientDataJSON: toB64u(got.response.clientDataJSON),
          authenticatorData: toB64u(got.response.authenticatorData),
          signature: toB64u(got.response.signature),
          userHandle: toB64u(got.response.userHandle),
        },
      },
    });
    return { registered, finish };
  }, { token: ACCESS_TOKEN, email: USER_EMAIL });
  const cookies = await page.context().cookies();
  result.deviceCookie = cookies.some((c) => c.name === 'device_token');
  console.log(`RESULT ${JSON.stringify(result)}`);
});
