// The JSON ceremonies of seed 004 with a real (virtual) authenticator: register a passkey with a
// Bearer access token, then sign in email-first with it. Then the same credential is put back
// with a lower signature counter (a cloned authenticator) and must be refused. Last, the login
// page's own email-first start must answer alike for an account with a passkey and for an
// unknown address. Prints "RESULT <json>".
import { base, expect, passkeyPage, run } from './lib.mjs';

const { ACCESS_TOKEN, USER_EMAIL } = process.env;

await run('passkey_json', async (page) => {
  const { cdp, authenticatorId } = await passkeyPage(page);
  await page.goto(`${base}/login`);

  const ceremonies = await page.evaluate(async ({ token, email }) => {
    const { post, register, assertion } = window.gh;
    const registered = await register(token, 'CLI key');
    const signIn = async () => {
      const { begin, credential, challengeId } = await assertion(email);
      const finish = await post('/auth/passkeys/authenticate/finish', { challenge_id: challengeId, credential });
      return { begin, finish, credential, challengeId };
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
