// One event: its facts, each delivery's attempts (with request and response when recorded), replay.
import { api, quiet, report } from './api.js';
import { $, badge, clear, el, plural, pretty, toast, when } from './dom.js';

let current = null;
export const selected = () => current;
/** Set by the Events tab: the detail was closed; a replay changed statuses. */
export const detailHooks = { closed() {}, changed() {} };

export function loadDetail(id, silent) {
  current = id;
  return api('GET', `/events/${encodeURIComponent(id)}`).then(
    (detail) => {
      if (current === id) render(detail);
    },
    silent ? quiet : report,
  );
}

function render(detail) {
  const aside = $('detail');
  const open = {};
  for (const d of aside.querySelectorAll('details')) open[d.getAttribute('data-key')] = d.open;
  const replayOpen = !!aside.querySelector('#replay-form');
  clear(aside).hidden = false;
  aside.appendChild(
    el('div', { className: 'delivery-head' }, [
      el('h2', { text: detail.event.event }),
      el('button', { type: 'button', id: 'replay-event', onclick: () => toggleReplay(detail) }, ['Replay event…']),
      el('button', { type: 'button', onclick: close }, ['Close']),
    ]),
  );
  aside.appendChild(facts(detail));
  if (replayOpen) aside.appendChild(replayForm(detail));
  aside.appendChild(el('h3', { text: 'Deliveries' }));
  if (detail.deliveries.length === 0)
    aside.appendChild(
      el('p', { className: 'muted', text: detail.event.routedAt ? 'No route matched this event.' : 'Not routed yet.' }),
    );
  for (const d of detail.deliveries) aside.appendChild(delivery(d, open));
  aside.appendChild(
    section(
      'normalized',
      'Normalized event',
      detail.normalized ? pretty(detail.normalized) : detail.normalizeError || '',
      open,
    ),
  );
  let raw = detail.raw;
  try {
    raw = pretty(JSON.parse(detail.raw));
  } catch {
    // keep the bytes as received
  }
  const item = detail.event.itemIndex ? ` (item ${detail.event.itemIndex})` : '';
  aside.appendChild(section('raw', `Raw payload${item}`, raw, open));
}

function close() {
  current = null;
  $('detail').hidden = true;
  detailHooks.closed();
}

function facts(detail) {
  const n = detail.normalized || {};
  const rows = [
    ['Event id', detail.event.id],
    ['Received', when(detail.event.receivedAt)],
    ['Routed', detail.event.routedAt ? when(detail.event.routedAt) : 'not yet'],
    ['Chat', n.chat ? n.chat.id + (n.chat.name ? ` (${n.chat.name})` : '') : ''],
    ['Contact', n.contact ? [n.contact.name, n.contact.phone].filter(Boolean).join(' · ') : ''],
    ['Message', n.message ? n.message.type + (n.message.body ? `: ${n.message.body}` : '') : ''],
  ].filter((row) => row[1]);
  return el(
    'dl',
    null,
    rows.flatMap(([name, value]) => [el('dt', { text: name }), el('dd', { text: value })]),
  );
}

function section(key, title, text, open) {
  const details = el('details', { 'data-key': key }, [
    el('summary', { text: title }),
    el('pre', { className: 'code', text }),
  ]);
  details.open = !!open[key];
  return details;
}

function delivery(d, open) {
  const head = el('div', { className: 'delivery-head' }, [
    el('strong', { text: d.connector }),
    el('span', { className: 'muted', text: `route ${d.route}` }),
    badge(d.status),
    el('span', { className: 'muted', text: plural(d.attemptLog.length, 'attempt') }),
  ]);
  const timeline = el('ol', { className: 'timeline' });
  d.attemptLog.forEach((a, i) => {
    timeline.appendChild(attempt(a, `${d.id}:${i}`, open));
  });
  if (d.attemptLog.length === 0)
    timeline.appendChild(
      el('li', {
        className: 'muted',
        text: d.status === 'pending' ? 'waiting for its first attempt' : 'no attempt recorded',
      }),
    );
  if (d.held === 'paused')
    timeline.appendChild(
      el('li', { className: 'held' }, [badge('paused'), ' held: the connector is paused; it is sent once resumed']),
    );
  else if (d.status === 'pending' && d.nextAt)
    timeline.appendChild(el('li', { className: 'muted', text: nextText(d.nextAt) }));
  return el('div', { className: 'delivery', 'data-connector': d.connector, 'data-status': d.status }, [head, timeline]);
}

const nextText = (iso) =>
  Date.parse(iso) <= Date.now() ? 'due now: waiting for a free slot' : `next attempt at ${when(iso)}`;

function attempt(a, key, open) {
  const note = a.result === 'dead' && a.outcome !== 'dead' ? ` (answered ${a.outcome}; no attempt left)` : '';
  const children = [
    el('span', { text: `${when(a.startedAt)} ` }),
    badge(a.result),
    el('span', { className: 'muted', text: ` #${a.attempt} · ${a.durationMs} ms${note}` }),
    a.ref ? el('span', { className: 'muted', text: ` · ref ${a.ref}` }) : null,
    a.error ? el('div', { className: 'attempt-error', text: a.error }) : null,
  ];
  // Shown when the store recorded them (status, headers with secrets masked, the start of the body).
  if (a.request) children.push(section(`${key}:request`, 'Request', exchange(a.request), open));
  if (a.response) children.push(section(`${key}:response`, 'Response', exchange(a.response), open));
  return el('li', { className: a.result, 'data-result': a.result }, children);
}

function exchange(part) {
  const head = [part.method && part.url ? `${part.method} ${part.url}` : '', part.status ? `HTTP ${part.status}` : '']
    .filter(Boolean)
    .join('\n');
  const headers = Object.entries(part.headers || {}).map(([k, v]) => `${k}: ${v}`);
  return [head, ...headers, '', part.body || ''].join('\n');
}

// ---- replay with explicit targets ----------------------------------------------------------
function toggleReplay(detail) {
  const existing = $('replay-form');
  if (existing) {
    existing.remove();
    return;
  }
  $('detail').insertBefore(replayForm(detail), $('detail').querySelector('h3'));
}

const failedOrDead = (d) => d.status === 'dead' || (d.status === 'pending' && !!d.lastError);

function replayForm(detail) {
  const form = el('form', { id: 'replay-form', className: 'panel' });
  if (detail.deliveries.length === 0) {
    form.appendChild(el('p', { text: 'No delivery yet: the event runs through the current routes again.' }));
  }
  const boxes = el('div', { className: 'checks' });
  for (const d of detail.deliveries) {
    const input = el('input', { type: 'checkbox', value: d.connector, 'data-status': d.status });
    input.checked = failedOrDead(d);
    const done = d.status === 'delivered' || d.status === 'skipped';
    boxes.appendChild(el('label', null, [input, ` ${d.connector} `, badge(d.status), done ? ' sends it again' : '']));
  }
  form.appendChild(boxes);
  form.appendChild(
    el('div', { className: 'toolbar' }, [
      el('button', { type: 'submit', className: 'primary', id: 'replay-run' }, ['Replay']),
    ]),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    runReplay(detail, form);
  });
  return form;
}

function runReplay(detail, form) {
  const chosen = [...form.querySelectorAll('input:checked')];
  if (detail.deliveries.length > 0 && chosen.length === 0) {
    toast('Choose the connectors to send it to.', true);
    return;
  }
  const again = chosen.filter((box) => ['delivered', 'skipped'].includes(box.getAttribute('data-status')));
  if (again.length > 0) {
    const names = again.map((box) => box.value).join(', ');
    const ask = `This makes ${plural(chosen.length, 'delivery')}, ${again.length} to connectors that already delivered it (${names}). Send?`;
    if (!confirm(ask)) return;
  }
  const body = detail.deliveries.length === 0 ? undefined : { connectors: chosen.map((box) => box.value) };
  api('POST', `/events/${encodeURIComponent(detail.event.id)}/replay`, body).then((result) => {
    toast(result.rerouted ? 'Event routed again.' : `${plural(result.replayed, 'delivery')} set to be sent again.`);
    form.remove();
    loadDetail(detail.event.id, true);
    detailHooks.changed();
  }, report);
}
