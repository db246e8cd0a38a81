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
  const labels = document.body.dataset;
  const showLabel = labels.showPassword || 'Show password';
  const hideLabel = labels.hidePassword || 'Hide password';
  toggle.textContent = showLabel;
  toggle.setAttribute('aria-controls', input.id);
  toggle.setAttribute('aria-pressed', 'false');
  toggle.addEventListener('click', () => {
    const show = input.type === 'password';
    input.type = show ? 'text' : 'password';
    toggle.textContent = show ? hideLabel : showLabel;
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
// - Moments (<time data-local>) in the browser's time zone and the page's language; the server
//   wrote them in UTC, which stays on hover (title).
document.querySelectorAll('time[data-local]').forEach((time) => {
  const at = new Date(time.getAttribute('datetime'));
  if (Number.isNaN(at.getTime())) return;
  const format = new Intl.DateTimeFormat(document.documentElement.lang || undefined, {
    dateStyle: 'long',
    timeStyle: 'short',
  });
  time.textContent = format.format(at);
});
