// Passkeys (WebAuthn) for the sign-in and security pages. The server keeps every ceremony's
// state; this script only converts between base64url and ArrayBuffers, asks the browser's
// authenticator, and posts the answer in an ordinary form. Without it the passkey controls stay
// hidden and everything else still works.
(() => {
  'use strict';
  if (!window.PublicKeyCredential || !navigator.credentials) return;

  const toBuffer = (value) => {
    const base64 = value.replace(/-/g, '+').replace(/_/g, '/');
    const padded = base64 + '='.repeat((4 - (base64.length % 4)) % 4);
    const binary = atob(padded);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
    return bytes.buffer;
  };
  const toBase64url = (buffer) => {
    if (!buffer) return null;
    const bytes = new Uint8Array(buffer);
    let binary = '';
    for (let i = 0; i < bytes.length; i += 1) binary += String.fromCharCode(bytes[i]);
    return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  };

  const showError = (message) => {
    const box = document.getElementById('passkey-error');
    if (box) {
      box.textContent = message;
      box.hidden = false;
    }
  };
  // The page's own words (data-* of the error box, in the page's language).
  const text = (name, english) => {
    const box = document.getElementById('passkey-error');
    return (box && box.dataset[name]) || english;
  };
  const describe = (error) => {
    if (error && error.name === 'NotAllowedError') return text('cancelled', 'The passkey request was cancelled or timed out.');
    if (error && error.name === 'InvalidStateError') return text('duplicate', 'This passkey is already registered.');
    if (error && error.status) return error.message;
    return text('failed', 'The passkey request failed.');
  };

  const post = async (url, body) => {
    const init = { method: 'POST', credentials: 'same-origin', headers: { Accept: 'application/json' } };
    if (body instanceof URLSearchParams) {
      init.body = body;
    } else {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const response = await fetch(url, init);
    const data = await response.json().catch(() => ({}));
    if (!response.ok) {
      const error = new Error(data.error || text('refused', 'The server refused the passkey request.'));
      error.status = response.status;
      throw error;
    }
    return data;
  };

  const field = (form, name) => form.elements.namedItem(name);

  // Adding a passkey on /account/security.
  const register = document.getElementById('passkey-register');
  if (register) {
    register.hidden = false;
    register.addEventListener('submit', async (event) => {
      event.preventDefault();
      try {
        const { challenge_id: challengeId, options } = await post(
          '/account/security/passkeys/options',
          new URLSearchParams({
            csrf_token: field(register, 'csrf_token').value,
            name: field(register, 'name').value,
          }),
        );
        options.challenge = toBuffer(options.challenge);
        options.user.id = toBuffer(options.user.id);
        (options.excludeCredentials || []).forEach((c) => { c.id = toBuffer(c.id); });
        const credential = await navigator.credentials.create({ publicKey: options });
        field(register, 'challenge_id').value = challengeId;
        field(register, 'credential').value = JSON.stringify({
          id: credential.id,
          rawId: toBase64url(credential.rawId),
          type: credential.type,
          response: {
            clientDataJSON: toBase64url(credential.response.clientDataJSON),
            attestationObject: toBase64url(credential.response.attestationObject),
          },
        });
        register.submit();
      } catch (error) {
        // Adding a passkey needs a recent sign-in: sign in again, then come back here.
        if (error.status === 401) {
          window.location.assign('/login?again=1&next=/account/security');
          return;
        }
        showError(describe(error));
      }
    });
  }

  // Signing in on /login: discoverable (no email needed), or email-first when one is typed.
  const signIn = document.getElementById('passkey-sign-in');
  if (signIn) {
    signIn.hidden = false;
    let autofill = null;

    const finish = (challengeId, credential) => {
      field(signIn, 'challenge_id').value = challengeId;
      field(signIn, 'credential').value = JSON.stringify({
        id: credential.id,
        rawId: toBase64url(credential.rawId),
        type: credential.type,
        response: {
          clientDataJSON: toBase64url(credential.response.clientDataJSON),
          authenticatorData: toBase64url(credential.response.authenticatorData),
          signature: toBase64url(credential.response.signature),
          userHandle: toBase64url(credential.response.userHandle),
        },
      });
      signIn.submit();
    };

    const ask = async (email, mediation, signal) => {
      const body = new URLSearchParams({ csrf_token: field(signIn, 'csrf_token').value });
      if (email) body.set('email', email);
      const { challenge_id: challengeId, options } = await post('/login/passkey/options', body);
      options.challenge = toBuffer(options.challenge);
      (options.allowCredentials || []).forEach((c) => { c.id = toBuffer(c.id); });
      const request = { publicKey: options };
      if (mediation) request.mediation = mediation;
      if (signal) request.signal = signal;
      const credential = await navigator.credentials.get(request);
      if (credential) finish(challengeId, credential);
    };

    // Passkey autofill on the email field, where the browser offers it. A browser runs one
    // WebAuthn request at a time, so the button aborts it and arms it again if it fails.
    const armAutofill = () => {
      if (!PublicKeyCredential.isConditionalMediationAvailable) return;
      PublicKeyCredential.isConditionalMediationAvailable().then((available) => {
        if (!available) return;
        autofill = new AbortController();
        ask(null, 'conditional', autofill.signal).catch(() => {});
      }).catch(() => {});
    };

    signIn.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (autofill) autofill.abort();
      const email = document.getElementById('email');
      const typed = email && email.value.trim();
      try {
        await ask(typed, null, null);
      } catch (error) {
        showError(describe(error));
        armAutofill();
      }
    });

    armAutofill();
  }
})();
