// The Dead letters tab: list by connector, replay selected or all shown.
import { api, report } from './api.js';
import { $, clear, el, plural, summary, toast, when } from './dom.js';
import { openEvent } from './events.js';

let showTab = () => {};

export function loadDeadConnectors() {
  return api('GET', '/connectors?health=0').then((result) => {
    const select = $('d-connector');
    const current = select.value;
    clear(select).appendChild(el('option', { value: '', text: 'every connector' }));
    for (const c of result.connectors)
      select.appendChild(el('option', { value: c.name, text: `${c.name} (${c.dead})` }));
    select.value = current;
  }, report);
}

const selectedIds = () => [...document.querySelectorAll('.dead-check:checked')].map((box) => box.value);
const updateButtons = () => {
  $('d-replay-selected').disabled = selectedIds().length === 0;
};

function row(d, checked) {
  const box = el('input', {
    type: 'checkbox',
    className: 'dead-check',
    value: d.id,
    'aria-label': `select ${d.id}`,
    onchange: updateButtons,
  });
  box.checked = checked.includes(d.id);
  const open = (event) => {
    event.preventDefault();
    showTab('events');
    openEvent(d.eventId);
  };
  return el('tr', { 'data-id': d.id, 'data-event': d.eventId }, [
    el('td', null, [box]),
    el('td', { text: d.id }),
    el('td', { title: d.eventId }, [el('a', { href: '#', text: `${d.event} · ${d.eventId}`, onclick: open })]),
    el('td', { text: d.connector }),
    el('td', { text: d.route }),
    el('td', { text: d.attempts }),
    el('td', { className: 'wrap', text: d.lastError || '' }),
    el('td', { text: when(d.updatedAt) }),
  ]);
}

export function loadDead() {
  const connector = $('d-connector').value;
  const checked = selectedIds();
  const query = connector ? `&connector=${encodeURIComponent(connector)}` : '';
  return api('GET', `/dead-letters?limit=200${query}`).then((result) => {
    const body = clear($('dead-body'));
    for (const d of result.deadLetters) body.appendChild(row(d, checked));
    $('dead-empty').hidden = result.deadLetters.length > 0;
    summary('dead', `${plural(result.deadLetters.length, 'dead letter')} shown`);
    $('d-replay-connector').disabled = result.deadLetters.length === 0;
    updateButtons();
  }, report);
}

function replay(body) {
  return api('POST', '/dead-letters/replay', body).then((result) => {
    toast(`${plural(result.replayed, 'dead letter')} replayed.`);
    loadDead();
  }, report);
}

export function initDead(show) {
  showTab = show;
  $('d-connector').addEventListener('change', loadDead);
  $('d-all').addEventListener('change', () => {
    for (const box of document.querySelectorAll('.dead-check')) box.checked = $('d-all').checked;
    updateButtons();
  });
  $('d-replay-selected').addEventListener('click', () => {
    const ids = selectedIds();
    if (ids.length)
      replay({ ids }).then(() => {
        $('d-all').checked = false;
      });
  });
  $('d-replay-connector').addEventListener('click', () => {
    const connector = $('d-connector').value;
    const count = document.querySelectorAll('.dead-check').length;
    const what = connector ? `every dead letter of ${connector}` : 'every dead letter of every connector';
    if (!confirm(`Replay ${what} (${count} shown)?`)) return;
    replay(connector ? { connector } : { all: true });
  });
}
