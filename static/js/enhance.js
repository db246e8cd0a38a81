// Progressive enhancement for every page; without JavaScript everything works the same, only
// these conveniences are missing.
// - A Print button where a page has one (backup codes).
document.querySelectorAll('[data-print]').forEach((button) => {
  button.hidden = false;
  button.addEventListener('click', () => window.print());
});
// - A Show / Hide toggle after every password field.
document.querySelectorAll('input[type=password]').forEach((input) => {
  const toggle = document.createElement('button');
  toggle.type = 'button';
  toggle.className = 'link password-toggle';
  toggle.textContent = 'Show password';
  toggle.setAttribute('aria-controls', input.id);
  toggle.setAttribute('aria-pressed', 'false');
  toggle.addEventListener('click', () => {
    const show = input.type === 'password';
    input.type = show ? 'text' : 'password';
    toggle.textContent = show ? 'Hide password' : 'Show password';
    toggle.setAttribute('aria-pressed', String(show));
  });
  input.insertAdjacentElement('afterend', toggle);
});
// - A Copy button for shown-once secrets and snippets: `<button data-copy="ID" hidden>`
//   copies the text of the element with that id.
document.querySelectorAll('[data-copy]').forEach((button) => {
  const source = document.getElementById(button.dataset.copy);
  if (!source || !navigator.clipboard) return;
  button.hidden = false;
  button.addEventListener('click', async () => {
    await navigator.clipboard.writeText(source.textContent.trim());
    button.textContent = 'Copied';
  });
});
