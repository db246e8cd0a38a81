// The JSON ceremonies of seed 004 with a real (virtual) authenticator: register a passkey with a
// Bearer access token, then sign in email-first with it. Then the same credential is put back
// with a lower signature counter (a cloned authenticator) and must be refused. Last, the login
// page's own email-first start must answer alike for an account with a passkey and for an
// unknown address. Prints "RESULT <json>".
import { base, expect, run } from './lib.mjs';

const { ACCESS_TOKEN, USER_EMAIL } = process.env;

await run('passkey_json', async (page) => {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true },
  });
  // The login page's passkey autofill would answer with the new credential and navigate away
  // mid-script; this script drives the ceremonies itself.
  await page.addInitScript(() => {
    if (window.PublicKeyCredential) PublicKeyCredential.isConditionalMediationAvailable = async () => false;
  });
  await page.goto(`${base}/login`);

  const ceremonies = await page.evaluate(async ({ token, email }) => {
    const toBuffer = (v) => Uint8Array.from(atob(v.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (v.length % 4)) % 4)), (c) => c.charCodeAt(0)).buffer;
    const toB64u = (b) => (b ? btoa(String.fromCharCode(...new Uint8Array(b))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '') : null);
    const post = async (path, body, bearer) => {
      const headers = { 'Content-Type': 'application/json' };
      if (bearer) headers.Authorization = `Bearer ${bearer}`;
      const response = await fetch(path, { method: 'POST', headers, body: JSON.stringify(body) });
      return { status: response.status, body: await response.json() };
    };

    const start = await post('/auth/passkeys/register/start', { name: 'CLI key' }, token);
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

    const signIn = async () => {
      const begin = await post('/auth/passkeys/authenticate/start', { email });
      const request = begin.body.options;
      request.challenge = toBuffer(request.challenge);
      request.allowCredentials.forEach((c) => { c.id = toBuffer(c.id); });
      const got = await navigator.credentials.get({ publicKey: request });
      const credential = {
        id: got.id, rawId: toB64u(got.rawId), type: got.type,
        response: {
          clientDataJSON: toB64u(got.response.clientDataJSON),
          authenticatorData: toB64u(got.response.authenticatorData),
          signature: toB64u(got.response.signature),
          userHandle: toB64u(got.response.userHandle),
        },
      };
      const finish = await post('/auth/passkeys/authenticate/finish', { challenge_id: begin.body.challenge_id, credential });
      return { begin, finish, credential, challengeId: begin.body.challenge_id };
    };
    const first = await signIn();
    // The same signed answer again: its challenge is used up.
    const replayed = await post('/auth/passkeys/authenticate/finish', { challenge_id: first.challengeId, credential: first.credential });
    // The same signed answer against a fresh challenge: it does not match.
    const fresh = await post('/auth/passkeys/authenticate/start', { email });
    const mismatched = await post('/auth/passkeys/authenticate/finish', { challenge_id: fresh.body.challenge_id, credential: first.credential });
    const second = await signIn();
    window.signIn = signIn;
    return {
      registered,
      allowCredentials: first.begin.body.options.allowCredentials.length,
      first: first.finish,
      replayed,
      mismatched,
      second: second.finish,
    };
  }, { token: ACCESS_TOKEN, email: USER_EMAIL });

  expect(ceremonies.registered.status === 200, `registered: ${JSON.stringify(ceremonies.registered)}`);

  // Clone: the same key, its counter back at zero.
  const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  expect(credentials.length === 1, 'one credential registered');
  const [original] = credentials;
  await cdp.send('WebAuthn.removeCredential', { authenticatorId, credentialId: original.credentialId });
  await cdp.send('WebAuthn.addCredential', { authenticatorId, credential: { ...original, signCount: 0 } });
  const cloned = await page.evaluate(async () => (await window.signIn()).finish);

  // The login page's email-first start (CSRF-protected form post, enumeration-safe).
  const pageStarts = await page.evaluate(async ({ email }) => {
    const csrf = document.querySelector('#passkey-sign-in input[name=csrf_token]').value;
    const start = async (address) => {
      const body = new URLSearchParams({ csrf_token: csrf, email: address });
      const response = await fetch('/login/passkey/options', { method: 'POST', body });
      return { status: response.status, body: await response.json() };
    };
    const unknown = `nobody-${Date.now()}@example.com`;
    return { known: await start(email), unknown: await start(unknown), unknownAgain: await start(unknown) };
  }, { email: USER_EMAIL });

  console.log(`RESULT ${JSON.stringify({ ...ceremonies, cloned, pageStarts })}`);
});
