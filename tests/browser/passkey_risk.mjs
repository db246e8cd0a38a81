// Seed 004's risk answer of the JSON passkey sign-in: the account's organization forces a second
// step on untrusted devices, and this browser has never signed in, so a passkey sign-in gets
// the 403 "Additional verification required. Please use another login method." Prints
// "RESULT <json>".
import { base, passkeyPage, run } from './lib.mjs';

const { ACCESS_TOKEN, USER_EMAIL } = process.env;

await run('passkey_risk', async (page) => {
  await passkeyPage(page);
  await page.goto(`${base}/login`);
  const result = await page.evaluate(async ({ token, email }) => {
    const { post, register, assertion } = window.gh;
    const registered = await register(token, 'Key');
    const { credential, challengeId } = await assertion(email);
    const finish = await post('/auth/passkeys/authenticate/finish', { challenge_id: challengeId, credential });
    return { registered, finish };
  }, { token: ACCESS_TOKEN, email: USER_EMAIL });
  const cookies = await page.context().cookies();
  result.deviceCookie = cookies.some((c) => c.name === 'device_token');
  console.log(`RESULT ${JSON.stringify(result)}`);
});
