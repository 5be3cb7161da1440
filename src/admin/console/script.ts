/**
 * The console's script (plain browser JS, no build step). Everything shown comes from the admin
 * API and is user data: it is only ever set with textContent / attribute values, never as HTML.
 * The admin token lives in sessionStorage and goes in the Authorization header, never in a URL.
 */
export const CONSOLE_JS = String.raw`
'use strict';
(function () {
  var TOKEN_KEY = 'wa-router.adminToken';
  var API = '/admin/api';
  var state = { tab: 'events', selected: null, next: null, rows: [], connectors: [], timers: [] };
  var $ = function (id) { return document.getElementById(id); };

  /** Build an element; strings among the children become text nodes (never parsed as HTML). */
  function el(tag, props, children) {
    var node = document.createElement(tag);
    if (props) {
      Object.keys(props).forEach(function (key) {
        var value = props[key];
        if (value === undefined || value === null || value === false) return;
        if (key === 'text') node.textContent = String(value);
        else if (key === 'className') node.className = value;
        else if (key.slice(0, 2) === 'on') node.addEventListener(key.slice(2), value);
        else node.setAttribute(key, String(value));
      });
    }
    (children || []).forEach(function (child) {
      if (child === undefined || child === null || child === false) return;
      node.appendChild(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child);
    });
    return node;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }
  function badge(text, kind) { return el('span', { className: 'badge ' + (kind || text), text: text }); }
  function when(iso) { if (!iso) return ''; var d = new Date(iso); return (d.toDateString() === new Date().toDateString() ? '' : d.toLocaleDateString() + ' ') + d.toLocaleTimeString(); }
  function pretty(value) { return JSON.stringify(value, null, 2); }

  var toastTimer;
  function toast(message, bad) {
    var node = $('toast');
    node.textContent = message;
    node.className = 'toast' + (bad ? ' bad' : '');
    node.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { node.hidden = true; }, 4000);
  }

  function token() { return sessionStorage.getItem(TOKEN_KEY); }

  function api(method, path, body) {
    var headers = { authorization: 'Bearer ' + token() };
    var init = { method: method, headers: headers, cache: 'no-store', credentials: 'omit' };
    if (body !== undefined) { headers['content-type'] = 'application/json'; init.body = JSON.stringify(body); }
    return fetch(API + path, init).then(function (response) {
      return response.json().catch(function () { return { ok: false, message: 'HTTP ' + response.status }; }).then(function (json) {
        if (response.status === 401) { signOut('The admin token was refused.'); throw new Error('unauthorized'); }
        if (!response.ok || !json.ok) { var error = new Error(json.message || ('HTTP ' + response.status)); error.details = json; throw error; }
        return json;
      });
    });
  }
  function report(error) { if (error && error.message !== 'unauthorized') toast(error.message, true); }

  // ---- sign in / out -------------------------------------------------------------------------
  function signOut(message) {
    sessionStorage.removeItem(TOKEN_KEY);
    stopTimers();
    $('tabs').hidden = true; $('logout').hidden = true; $('summary').textContent = '';
    document.querySelectorAll('.view').forEach(function (view) { view.hidden = true; });
    $('login').hidden = false;
    $('login-error').textContent = message || '';
    $('token').focus();
  }
  function signIn() {
    $('login').hidden = true; $('tabs').hidden = false; $('logout').hidden = false;
    show(state.tab);
  }
  $('login-form').addEventListener('submit', function (event) {
    event.preventDefault();
    var value = $('token').value.trim();
    if (!value) return;
    sessionStorage.setItem(TOKEN_KEY, value);
    $('token').value = '';
    api('GET', '/connectors?health=0').then(function () { $('login-error').textContent = ''; signIn(); }, report);
  });
  $('logout').addEventListener('click', function () { signOut(''); });

  // ---- tabs and polling ------------------------------------------------------------------------
  function stopTimers() { state.timers.forEach(clearInterval); state.timers = []; }
  function every(ms, run) { state.timers.push(setInterval(function () { if (!document.hidden) run(); }, ms)); }
  function show(tab) {
    state.tab = tab;
    stopTimers();
    document.querySelectorAll('#tabs button').forEach(function (button) { button.classList.toggle('active', button.getAttribute('data-tab') === tab); });
    document.querySelectorAll('.view').forEach(function (view) { view.hidden = view.id !== 'view-' + tab; });
    if (tab === 'events') { loadEvents(true); every(3000, function () { if ($('f-live').checked && !state.paged) loadEvents(true, true); if (state.selected) loadDetail(state.selected, true); }); }
    if (tab === 'dead') { loadConnectorNames().then(loadDead); every(5000, loadDead); }
    if (tab === 'connectors') { loadConnectors(false); every(5000, function () { loadConnectors(false); }); }
    if (tab === 'config') loadConfig();
  }
  $('tabs').addEventListener('click', function (event) {
    var tab = event.target.getAttribute && event.target.getAttribute('data-tab');
    if (tab) show(tab);
  });

  // ---- events ---------------------------------------------------------------------------------
  function localToIso(value) { return value ? new Date(value).toISOString() : ''; }
  function filterQuery() {
    var params = new URLSearchParams();
    var fields = { q: $('f-q').value, type: $('f-type').value, chat: $('f-chat').value, phone: $('f-phone').value, status: $('f-status').value,
      since: localToIso($('f-since').value), until: localToIso($('f-until').value) };
    Object.keys(fields).forEach(function (key) { if (fields[key].trim()) params.set(key, fields[key].trim()); });
    return params;
  }
  function loadEvents(reset, quiet) {
    var params = filterQuery();
    params.set('limit', '50');
    if (!reset && state.next) params.set('before', state.next);
    state.paged = !reset;
    return api('GET', '/events?' + params.toString()).then(function (page) {
      state.rows = reset ? page.events : state.rows.concat(page.events);
      state.next = page.next;
      renderEvents();
    }, quiet ? function () {} : report);
  }
  function deliveryBadges(deliveries) {
    if (deliveries.length === 0) return [el('span', { className: 'muted', text: '—' })];
    return deliveries.map(function (d) { return badge(d.connector + ': ' + d.status, d.status); });
  }
  function renderEvents() {
    var body = clear($('events-body'));
    state.rows.forEach(function (row) {
      var status = row.routedAt ? deliveryBadges(row.deliveries) : [badge('unrouted', 'pending')];
      var tr = el('tr', { className: 'event-row' + (row.id === state.selected ? ' selected' : ''), 'data-id': row.id, onclick: function () { openEvent(row.id); } }, [
        el('td', { text: when(row.receivedAt) }), el('td', { text: row.event }), el('td', { text: row.chatId || '', title: row.chatId || '' }),
        el('td', { text: row.contactPhone || '' }), el('td', { className: 'wrap' }, status),
      ]);
      body.appendChild(tr);
    });
    $('events-empty').hidden = state.rows.length > 0;
    $('more').hidden = !state.next;
    $('summary').textContent = state.rows.length + ' event' + (state.rows.length === 1 ? '' : 's') + ' shown';
  }
  $('filters').addEventListener('submit', function (event) { event.preventDefault(); loadEvents(true); });
  $('clear').addEventListener('click', function () { $('filters').reset(); $('f-live').checked = true; loadEvents(true); });
  $('more').addEventListener('click', function () { loadEvents(false); });

  function openEvent(id) {
    state.selected = id;
    document.querySelectorAll('.event-row').forEach(function (tr) { tr.classList.toggle('selected', tr.getAttribute('data-id') === id); });
    loadDetail(id, false);
  }
  function loadDetail(id, quiet) {
    return api('GET', '/events/' + encodeURIComponent(id)).then(function (detail) { if (state.selected === id) renderDetail(detail); }, quiet ? function () {} : report);
  }
  function renderDetail(detail) {
    var aside = $('detail');
    var openSections = {};
    aside.querySelectorAll('details').forEach(function (d) { openSections[d.getAttribute('data-key')] = d.open; });
    clear(aside);
    aside.hidden = false;
    var n = detail.normalized || {};
    aside.appendChild(el('div', { className: 'delivery-head' }, [
      el('h2', { text: detail.event.event }),
      el('button', { type: 'button', id: 'replay-event', onclick: function () { replayEvent(detail.event.id); } }, ['Replay event']),
      el('button', { type: 'button', onclick: function () { state.selected = null; aside.hidden = true; renderEvents(); } }, ['Close']),
    ]));
    var facts = [['Event id', detail.event.id], ['Received', when(detail.event.receivedAt)], ['Routed', detail.event.routedAt ? when(detail.event.routedAt) : 'not yet'],
      ['Chat', n.chat ? n.chat.id + (n.chat.name ? ' (' + n.chat.name + ')' : '') : ''], ['Contact', n.contact ? [n.contact.name, n.contact.phone].filter(Boolean).join(' · ') : ''],
      ['Message', n.message ? (n.message.type + (n.message.body ? ': ' + n.message.body : '')) : '']];
    aside.appendChild(el('dl', null, facts.filter(function (f) { return f[1]; }).reduce(function (out, f) { out.push(el('dt', { text: f[0] }), el('dd', { text: f[1] })); return out; }, [])));
    aside.appendChild(el('h3', { text: 'Deliveries' }));
    if (detail.deliveries.length === 0) aside.appendChild(el('p', { className: 'muted', text: detail.event.routedAt ? 'No route matched this event.' : 'Not routed yet.' }));
    detail.deliveries.forEach(function (d) {
      var head = el('div', { className: 'delivery-head' }, [el('strong', { text: d.connector }), el('span', { className: 'muted', text: 'route ' + d.route }), badge(d.status),
        el('span', { className: 'muted', text: d.attemptLog.length + ' attempt' + (d.attemptLog.length === 1 ? '' : 's') })]);
      if (d.status === 'dead') head.appendChild(el('button', { type: 'button', className: 'replay-dead', onclick: function () { replayDead({ ids: [d.id] }); } }, ['Replay dead letter']));
      var timeline = el('ol', { className: 'timeline' });
      d.attemptLog.forEach(function (a) {
        timeline.appendChild(el('li', { className: a.outcome }, [
          el('span', { text: when(a.startedAt) + ' ' }), badge(a.outcome), el('span', { className: 'muted', text: ' #' + a.attempt + ' · ' + a.durationMs + ' ms' }),
          a.ref ? el('span', { className: 'muted', text: ' · ref ' + a.ref }) : null,
          a.error ? el('div', { className: 'attempt-error', text: a.error }) : null,
        ]));
      });
      if (d.attemptLog.length === 0) timeline.appendChild(el('li', { className: 'muted', text: d.status === 'pending' ? 'waiting for its first attempt' : 'no attempt recorded' }));
      if (d.status === 'pending' && d.nextAt) timeline.appendChild(el('li', { className: 'muted', text: 'next attempt at ' + when(d.nextAt) }));
      aside.appendChild(el('div', { className: 'delivery', 'data-connector': d.connector, 'data-status': d.status }, [head, timeline]));
    });
    function section(key, title, text) {
      var details = el('details', { 'data-key': key }, [el('summary', { text: title }), el('pre', { className: 'code', text: text })]);
      details.open = !!openSections[key];
      aside.appendChild(details);
    }
    section('normalized', 'Normalized event', detail.normalized ? pretty(detail.normalized) : (detail.normalizeError || ''));
    var raw = detail.raw;
    try { raw = pretty(JSON.parse(detail.raw)); } catch (e) { /* keep the bytes as received */ }
    section('raw', 'Raw payload' + (detail.event.itemIndex ? ' (item ' + detail.event.itemIndex + ')' : ''), raw);
  }
  function replayEvent(id) {
    api('POST', '/events/' + encodeURIComponent(id) + '/replay').then(function () { toast('Event replayed: its routes run again.'); loadDetail(id, true); }, report);
  }

  // ---- dead letters ---------------------------------------------------------------------------
  function loadConnectorNames() {
    return api('GET', '/connectors?health=0').then(function (result) {
      var select = $('d-connector');
      var current = select.value;
      clear(select).appendChild(el('option', { value: '', text: 'every connector' }));
      result.connectors.forEach(function (c) { select.appendChild(el('option', { value: c.name, text: c.name + ' (' + c.dead + ')' })); });
      select.value = current;
    }, report);
  }
  function loadDead() {
    var connector = $('d-connector').value;
    var checked = selectedDead();
    return api('GET', '/dead-letters?limit=200' + (connector ? '&connector=' + encodeURIComponent(connector) : '')).then(function (result) {
      var body = clear($('dead-body'));
      result.deadLetters.forEach(function (d) {
        var box = el('input', { type: 'checkbox', className: 'dead-check', value: d.id, 'aria-label': 'select ' + d.id, onchange: updateDeadButtons });
        box.checked = checked.indexOf(d.id) >= 0;
        body.appendChild(el('tr', { 'data-id': d.id, 'data-event': d.eventId }, [
          el('td', null, [box]), el('td', { text: d.id }),
          el('td', { title: d.eventId }, [el('a', { href: '#', text: d.event + ' · ' + d.eventId, onclick: function (e) { e.preventDefault(); show('events'); openEvent(d.eventId); } })]),
          el('td', { text: d.connector }), el('td', { text: d.route }), el('td', { text: d.attempts }), el('td', { className: 'wrap', text: d.lastError || '' }), el('td', { text: when(d.updatedAt) }),
        ]));
      });
      $('dead-empty').hidden = result.deadLetters.length > 0;
      $('d-count').textContent = result.deadLetters.length + ' dead letter' + (result.deadLetters.length === 1 ? '' : 's');
      $('d-replay-connector').disabled = result.deadLetters.length === 0;
      updateDeadButtons();
    }, report);
  }
  function selectedDead() { return Array.prototype.map.call(document.querySelectorAll('.dead-check:checked'), function (box) { return box.value; }); }
  function updateDeadButtons() { $('d-replay-selected').disabled = selectedDead().length === 0; }
  function replayDead(query) {
    return api('POST', '/dead-letters/replay', query).then(function (result) {
      toast(result.replayed + ' dead letter' + (result.replayed === 1 ? '' : 's') + ' replayed.');
      if (state.tab === 'dead') loadDead(); else if (state.selected) loadDetail(state.selected, true);
    }, report);
  }
  $('d-connector').addEventListener('change', loadDead);
  $('d-all').addEventListener('change', function () { var on = $('d-all').checked; document.querySelectorAll('.dead-check').forEach(function (box) { box.checked = on; }); updateDeadButtons(); });
  $('d-replay-selected').addEventListener('click', function () { var ids = selectedDead(); if (ids.length) replayDead({ ids: ids }).then(function () { $('d-all').checked = false; }); });
  $('d-replay-connector').addEventListener('click', function () {
    var connector = $('d-connector').value;
    if (!confirm(connector ? 'Replay every dead letter of ' + connector + '?' : 'Replay every dead letter of every connector?')) return;
    replayDead(connector ? { connector: connector } : { all: true });
  });

  // ---- connectors -----------------------------------------------------------------------------
  function loadConnectors(refresh) {
    return api('GET', '/connectors' + (refresh ? '?refresh=1' : '')).then(function (result) {
      $('summary').textContent = result.events + ' events stored · ' + result.unrouted + ' unrouted';
      var body = clear($('connectors-body'));
      result.connectors.forEach(function (c) {
        var health = c.health ? [badge(c.health.status), c.health.error ? el('div', { className: 'attempt-error', text: c.health.error }) : null] : [el('span', { className: 'muted', text: c.running ? '' : 'not running' })];
        var stateBadge = !c.configured ? badge('removed from config', 'skipped') : c.paused ? badge('paused') : c.running ? badge('running', 'ok') : badge('not running', 'failed');
        var action = c.running ? el('button', { type: 'button', className: c.paused ? 'resume' : 'pause', onclick: function () {
          api('POST', '/connectors/' + encodeURIComponent(c.name) + (c.paused ? '/resume' : '/pause')).then(function (r) { toast(r.connector + (r.paused ? ' paused.' : ' resumed.')); loadConnectors(false); }, report);
        } }, [c.paused ? 'Resume' : 'Pause']) : null;
        body.appendChild(el('tr', { 'data-name': c.name }, [
          el('td', null, [el('strong', { text: c.name })]), el('td', { text: c.type || '' }), el('td', { className: 'wrap' }, health), el('td', null, [stateBadge]),
          el('td', { text: c.pending }), el('td', { text: c.oldestDueAgeSeconds === null ? '' : Math.round(c.oldestDueAgeSeconds) + ' s' }), el('td', { text: c.dead }),
          el('td', { text: c.inFlight }), el('td', { text: c.throughput.delivered }), el('td', { text: c.throughput.retried }), el('td', { text: c.throughput.failed }), el('td', null, [action]),
        ]));
      });
    }, report);
  }
  $('c-refresh').addEventListener('click', function () { loadConnectors(true); });

  // ---- route tester ---------------------------------------------------------------------------
  $('t-run').addEventListener('click', function () {
    var out = clear($('t-result'));
    var payload;
    try { payload = JSON.parse($('t-payload').value); } catch (error) { out.appendChild(el('p', { className: 'error', text: 'Not valid JSON: ' + error.message })); return; }
    api('POST', '/route-test', payload).then(function (result) {
      result.events.forEach(function (e) {
        var box = el('div', { className: 'result-event' }, [
          el('div', { className: 'delivery-head' }, [el('strong', { text: e.event.event }), el('span', { className: 'muted', text: e.event.id })]),
          el('p', null, ['Matching routes: '].concat(e.matchedRoutes.length ? e.matchedRoutes.map(function (r) { return badge(r, 'ok'); }) : [el('span', { className: 'muted', text: 'none' })])),
        ]);
        e.deliveries.forEach(function (d) {
          box.appendChild(el('div', { className: 'delivery' }, [
            el('div', { className: 'delivery-head' }, [el('strong', { text: d.connector }), el('span', { className: 'muted', text: d.type + ' · route ' + d.route })]),
            d.error ? el('div', { className: 'attempt-error', text: d.error }) : el('pre', { className: 'code', text: pretty(d.wouldSend) }),
          ]));
        });
        out.appendChild(box);
      });
    }, function (error) {
      if (error.message === 'unauthorized') return;
      out.appendChild(el('p', { className: 'error', text: error.message }));
      var issues = error.details && error.details.issues;
      if (issues) out.appendChild(el('ul', null, issues.map(function (i) { return el('li', { text: (i.path || '(root)') + ': ' + i.message }); })));
    });
  });

  // ---- config ---------------------------------------------------------------------------------
  function loadConfig() {
    return api('GET', '/config').then(function (result) { $('cfg-file').textContent = result.file; $('cfg-text').textContent = pretty(result.config); }, report);
  }
  $('cfg-reload').addEventListener('click', function () {
    api('POST', '/config/reload').then(function (result) { toast('Config reloaded: ' + result.connectors.length + ' connectors, ' + result.routes.length + ' routes.'); loadConfig(); }, report);
  });

  if (token()) signIn(); else signOut('');
})();
`;
