// The Events tab: search, the list, and replaying the events a search finds.
import { api, quiet, report } from './api.js';
import { detailHooks, loadDetail, selected } from './detail.js';
import { $, badge, clear, el, plural, summary, toast, when } from './dom.js';

const list = { rows: [], next: null, paged: false };

const localToIso = (value) => (value ? new Date(value).toISOString() : '');

/** The search form as filters (the names of GET /events). */
function filters() {
  const fields = {
    q: $('f-q').value,
    text: $('f-text').value,
    type: $('f-type').value,
    chat: $('f-chat').value,
    phone: $('f-phone').value,
    status: $('f-status').value,
    since: localToIso($('f-since').value),
    until: localToIso($('f-until').value),
  };
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value.trim() !== ''));
}

export function loadEvents(reset, silent) {
  const params = new URLSearchParams(filters());
  params.set('limit', '50');
  if (!reset && list.next) params.set('before', list.next);
  list.paged = !reset;
  return api('GET', `/events?${params}`).then(
    (page) => {
      list.rows = reset ? page.events : list.rows.concat(page.events);
      list.next = page.next;
      render();
    },
    silent ? quiet : report,
  );
}

/** The live poll: the first page again (unless older pages are open) and the open event. */
export function refreshEvents() {
  if ($('f-live').checked && !list.paged) loadEvents(true, true);
  if (selected()) loadDetail(selected(), true);
}

function deliveryBadges(row) {
  if (!row.routedAt) return [badge('unrouted', 'pending')];
  if (row.deliveries.length === 0) return [el('span', { className: 'muted', text: '—' })];
  return row.deliveries.map((d) => badge(`${d.connector}: ${d.status}`, d.status));
}

export function render() {
  const body = clear($('events-body'));
  for (const row of list.rows) {
    const tr = el(
      'tr',
      {
        className: `event-row${row.id === selected() ? ' selected' : ''}`,
        'data-id': row.id,
        onclick: () => openEvent(row.id),
      },
      [
        el('td', { text: when(row.receivedAt) }),
        el('td', { text: row.event }),
        el('td', { text: row.chatId || '', title: row.chatId || '' }),
        el('td', { text: row.contactPhone || '' }),
        el('td', { className: 'wrap' }, deliveryBadges(row)),
      ],
    );
    body.appendChild(tr);
  }
  $('events-empty').hidden = list.rows.length > 0;
  $('more').hidden = !list.next;
  summary('events', `${plural(list.rows.length, 'event')} shown`);
}

export function openEvent(id) {
  for (const tr of document.querySelectorAll('.event-row'))
    tr.classList.toggle('selected', tr.getAttribute('data-id') === id);
  loadDetail(id, false);
}

// ---- replay of the events a search finds ---------------------------------------------------
function bulkBody(dryRun) {
  const connectors = [...document.querySelectorAll('#bulk-connectors input:checked')].map((box) => box.value);
  return { filter: filters(), connectors, includeDelivered: $('bulk-delivered').checked, dryRun };
}

function planText(plan) {
  const parts = [`${plural(plan.deliveries, 'delivery')} of ${plural(plan.events, 'event')} found`];
  if (plan.alreadyDelivered) parts.push(`${plan.alreadyDelivered} of them already delivered`);
  if (plan.withoutDelivery) parts.push(`${plural(plan.withoutDelivery, 'event')} never routed to these connectors`);
  return parts.join('; ');
}

function countBulk() {
  const body = bulkBody(true);
  $('bulk-run').disabled = true;
  if (body.connectors.length === 0) {
    $('bulk-plan').textContent = 'Choose the connectors to send to.';
    return;
  }
  api('POST', '/events/replay', body).then((plan) => {
    $('bulk-plan').textContent = planText(plan);
    $('bulk-run').disabled = plan.deliveries === 0;
  }, report);
}

function openBulk() {
  api('GET', '/connectors?health=0').then((result) => {
    const box = clear($('bulk-connectors'));
    for (const c of result.connectors) {
      const input = el('input', { type: 'checkbox', value: c.name, onchange: countBulk });
      box.appendChild(el('label', null, [input, ` ${c.name}`]));
    }
    $('bulk').hidden = false;
    countBulk();
  }, report);
}

function runBulk(event) {
  event.preventDefault();
  api('POST', '/events/replay', bulkBody(true))
    .then((plan) => {
      if (!confirm(`Replay: this makes ${planText(plan)}. Send them?`)) return undefined;
      return api('POST', '/events/replay', bulkBody(false)).then((done) => {
        toast(`${plural(done.replayed, 'delivery')} set to be sent again.`);
        $('bulk').hidden = true;
        loadEvents(true, true);
      });
    })
    .catch(report);
}

export function initEvents() {
  $('filters').addEventListener('submit', (event) => {
    event.preventDefault();
    loadEvents(true);
    if (!$('bulk').hidden) countBulk();
  });
  $('clear').addEventListener('click', () => {
    $('filters').reset();
    $('f-live').checked = true;
    loadEvents(true);
  });
  $('more').addEventListener('click', () => loadEvents(false));
  $('bulk-open').addEventListener('click', openBulk);
  $('bulk-delivered').addEventListener('change', countBulk);
  $('bulk').addEventListener('submit', runBulk);
  $('bulk-cancel').addEventListener('click', () => {
    $('bulk').hidden = true;
  });
  detailHooks.closed = render;
  // A replay changes the statuses in the list: show them now, live or not.
  detailHooks.changed = () => loadEvents(true, true);
}
