// A person adds a passkey on the security page (Chromium's CDP virtual authenticator: ctap2,
// internal, resident keys, user verification), signs out, signs in with the passkey alone (the
// "Sign in with a passkey" button, no email typed), then completes a relying app's authorize
// flow with it through passkey autofill. Last, a security key without resident keys signs in
// email-first. Prints "LANDED <url>" (the relying app's callback).
//
// The virtual authenticator answers a conditional (autofill) request at once, as if the person
// had picked the passkey; autofill is switched off for the button leg through localStorage.
import { base, expect, run } from './lib.mjs';

const { USER_EMAIL, USER_PASSWORD, AUTHORIZE_URL, CALLBACK_URL } = process.env;

async function signOut(page) {
  await page.goto(`${base}/account`);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'You are signed out' }).waitFor();
}

await run('passkey', async (page) => {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
    },
  });

  await page.addInitScript(() => {
    if (window.PublicKeyCredential) {
      PublicKeyCredential.isConditionalMediationAvailable = async () => localStorage.getItem('autofill') === 'on';
    }
  });

  // Sign in with the password and add a passkey.
  await page.goto(`${base}/login`);
  await page.getByLabel('Email').fill(USER_EMAIL);
  await page.getByLabel('Password').fill(USER_PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.waitForURL(`${base}/account`);
  await page.goto(`${base}/account/security`);
  await page.getByLabel('Passkey name').fill('Test laptop');
  await page.getByRole('button', { name: 'Add a passkey' }).click();
  await page.locator('#passkeys .passkey-name', { hasText: 'Test laptop' }).waitFor();
  expect((await page.locator('#passkeys').textContent()).includes('Never used'), 'listed, not used yet');
  const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  expect(credentials.length === 1 && credentials[0].isResidentCredential, 'a discoverable credential');

  // Sign out, then sign in with the passkey alone.
  await signOut(page);
  await page.goto(`${base}/login`);
  await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
  await page.waitForURL(`${base}/account`);
  const facts = await page.locator('.facts').textContent();
  expect(facts.includes('Signed in withPasskey'), `signed in with a passkey: ${facts}`);
  await page.goto(`${base}/account/security`);
  expect((await page.locator('#passkeys').textContent()).includes('Last used'), 'last use recorded');

  // A relying app: the passkey (offered by autofill) signs the person in on the way.
  await signOut(page);
  await page.evaluate(() => localStorage.setItem('autofill', 'on'));
  await page.goto(AUTHORIZE_URL);
  await page.getByRole('heading', { name: /wants to access your account/ }).waitFor();
  await page.getByRole('button', { name: 'Allow' }).click();
  await page.waitForURL((url) => url.href.startsWith(CALLBACK_URL));
  const landed = page.url();

  // Email-first: a security key without resident keys is added as a second passkey; after
  // signing out, the person types their email and the key signs them in.
  await page.evaluate(() => localStorage.setItem('autofill', 'off'));
  await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId });
  const { authenticatorId: keyId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'usb', hasResidentKey: false, hasUserVerification: true, isUserVerified: true },
  });
  await page.goto(`${base}/account/security`);
  await page.getByLabel('Passkey name').fill('Security key');
  await page.getByRole('button', { name: 'Add a passkey' }).click();
  await page.locator('#passkeys .passkey-name', { hasText: 'Security key' }).waitFor();
  const keys = (await cdp.send('WebAuthn.getCredentials', { authenticatorId: keyId })).credentials;
  expect(keys.length === 1 && !keys[0].isResidentCredential, 'a server-side (non-discoverable) credential');
  await signOut(page);
  await page.goto(`${base}/login`);
  await page.getByLabel('Email').fill(USER_EMAIL);
  await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
  await page.waitForURL(`${base}/account`);
  expect((await page.locator('.facts').textContent()).includes('Signed in withPasskey'), 'signed in email-first with the key');

  // The login page's email-first options for this account (two real passkeys) and for an
  // address without any: the decoy must have the same shape (fields, id lengths).
  await signOut(page);
  await page.goto(`${base}/login`);
  const shapes = await page.evaluate(async (emails) => {
    const csrf = document.querySelector('input[name="csrf_token"]').value;
    const shape = async (email) => {
      const response = await fetch('/login/passkey/options', {
        method: 'POST',
        body: new URLSearchParams({ csrf_token: csrf, email }),
      });
      const { options } = await response.json();
      return {
        fields: Object.keys(options).sort().join(','),
        entries: options.allowCredentials.map((c) => Object.keys(c).sort().join(',')),
        lengths: options.allowCredentials.map((c) => c.id.length),
      };
    };
    const unknown = [];
    for (let i = 0; i < 12; i += 1) unknown.push(await shape(`nobody-${i}-${emails.salt}@example.com`));
    return { real: await shape(emails.real), unknown };
  }, { real: USER_EMAIL, salt: Date.now() });
  for (const decoy of shapes.unknown) {
    expect(decoy.fields === shapes.real.fields, `decoy fields ${decoy.fields} vs ${shapes.real.fields}`);
    expect(decoy.entries.every((e) => e === shapes.real.entries[0]), `decoy entry ${decoy.entries}`);
    expect(decoy.lengths.every((l) => shapes.real.lengths.includes(l)), `decoy id lengths ${decoy.lengths} vs ${shapes.real.lengths}`);
  }

  console.log(`LANDED ${landed}`);
});
