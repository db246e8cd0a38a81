// Progressive enhancement: a Print button for pages that have one (backup codes). Without
// JavaScript the button stays hidden and the browser's own print works the same.
document.querySelectorAll('[data-print]').forEach((button) => {
  button.hidden = false;
  button.addEventListener('click', () => window.print());
});
