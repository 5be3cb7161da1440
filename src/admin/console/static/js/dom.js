// DOM helpers. Everything shown comes from the admin API and is user data: it is only ever set
// with textContent or attribute values, never parsed as HTML.

export const $ = (id) => document.getElementById(id);

/** Build an element; strings among the children become text nodes. */
export function el(tag, props, children) {
  const node = document.createElement(tag);
  setProps(node, props);
  for (const child of children || []) {
    if (child === undefined || child === null || child === false) continue;
    node.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
  return node;
}

const SVG = 'http://www.w3.org/2000/svg';

/** An SVG element (charts); attributes only, no inline style. */
export function svg(tag, attributes, children) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attributes || {})) node.setAttribute(key, String(value));
  for (const child of children || []) if (child) node.appendChild(child);
  return node;
}

function setProps(node, props) {
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'text') node.textContent = String(value);
    else if (key === 'className') node.className = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, String(value));
  }
}

export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

export const badge = (text, kind) => el('span', { className: `badge ${kind || text}`, text });

export const plural = (n, word) => `${n} ${n === 1 ? word : word === 'delivery' ? 'deliveries' : `${word}s`}`;

/** A time, with the date when it is not today. */
export function when(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return (d.toDateString() === new Date().toDateString() ? '' : `${d.toLocaleDateString()} `) + d.toLocaleTimeString();
}

export const pretty = (value) => JSON.stringify(value, null, 2);

let toastTimer;
export function toast(message, bad) {
  const node = $('toast');
  node.textContent = message;
  node.className = `toast${bad ? ' bad' : ''}`;
  node.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    node.hidden = true;
  }, 4000);
}

/** The header's summary belongs to the tab shown: a late answer for another tab does not write it. */
export const view = { tab: 'events' };
export function summary(tab, text) {
  if (view.tab === tab) $('summary').textContent = text;
}
