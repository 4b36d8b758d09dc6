// Tiny DOM helpers for the views. Text always goes in as textContent: nothing a server or a user
// typed is ever parsed as HTML.

/** h('div', {class: 'x', onclick: fn}, child, 'text', [children]) → Element */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') el.addEventListener(name.slice(2), value);
    else if (name === 'class') el.className = value;
    else if (name === 'dataset') Object.assign(el.dataset, value);
    else if (name in el && typeof value !== 'string') el[name] = value;
    else el.setAttribute(name, value === true ? '' : value);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replace the main view's content. */
export function render(...children) {
  const view = document.getElementById('view');
  view.replaceChildren();
  append(view, children);
  window.scrollTo(0, 0);
  return view;
}

export function toast(message, kind = 'ok') {
  const line = document.getElementById('status-line');
  line.textContent = message;
  line.className = `notice ${kind === 'ok' ? '' : 'warn'}`;
  line.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => {
    line.hidden = true;
  }, 4000);
}

export function formatTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString();
}

/** Object URL for a blob that is revoked when the image is gone from the page. */
export function blobImage(blob, alt = '') {
  const url = URL.createObjectURL(blob);
  const img = h('img', { src: url, alt });
  img.addEventListener('load', () => URL.revokeObjectURL(url), { once: true });
  return img;
}

export function download(filename, text, type = 'application/json') {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = h('a', { href: url, download: filename });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
