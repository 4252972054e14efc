/* Forms marked data-confirm ask before they submit (no inline handlers: the CSP allows no inline script). */
"use strict";

document.addEventListener("submit", (event) => {
  const message = event.target.dataset && event.target.dataset.confirm;
  if (message && !window.confirm(message)) event.preventDefault();
}, true);
