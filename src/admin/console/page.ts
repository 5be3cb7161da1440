/** The console's single HTML page. Data is never put in here: console.js fills it with textContent. */
export const CONSOLE_HTML = String.raw`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>wa-router console</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/console/console.css">
</head>
<body>
<header class="top">
  <span class="brand">wa-router</span>
  <nav id="tabs" hidden>
    <button type="button" data-tab="events" class="active">Events</button>
    <button type="button" data-tab="dead">Dead letters</button>
    <button type="button" data-tab="connectors">Connectors</button>
    <button type="button" data-tab="tester">Route tester</button>
    <button type="button" data-tab="config">Config</button>
  </nav>
  <span id="summary" class="summary"></span>
  <button type="button" id="logout" hidden>Sign out</button>
</header>

<main>
<section id="login" class="login" hidden>
  <form id="login-form" autocomplete="off">
    <h1>Sign in</h1>
    <p>Enter the admin token (<code>admin.token</code> in the router's config). It is kept in this tab's session storage only.</p>
    <input id="token" type="password" placeholder="admin token" autocomplete="off" required>
    <button type="submit">Sign in</button>
    <p id="login-error" class="error"></p>
  </form>
</section>

<section id="view-events" class="view" hidden>
  <form id="filters" class="filters">
    <input id="f-q" type="search" placeholder="event id, chat id or phone">
    <input id="f-type" placeholder="event type" list="event-types">
    <datalist id="event-types">
      <option value="message:in:new"><option value="message:out:new"><option value="message:out:ack">
      <option value="message:out:failed"><option value="message:update"><option value="message:reaction">
      <option value="chat:update"><option value="contact:update"><option value="group:update">
    </datalist>
    <input id="f-chat" placeholder="chat id">
    <input id="f-phone" placeholder="contact phone">
    <select id="f-status">
      <option value="">any status</option><option value="pending">pending</option><option value="delivered">delivered</option>
      <option value="skipped">skipped</option><option value="dead">dead</option><option value="unrouted">unrouted</option><option value="unmatched">unmatched</option>
    </select>
    <label>from <input id="f-since" type="datetime-local"></label>
    <label>to <input id="f-until" type="datetime-local"></label>
    <button type="submit" id="search">Search</button>
    <button type="button" id="clear">Clear</button>
    <label class="live"><input id="f-live" type="checkbox" checked> live</label>
  </form>
  <div class="split">
    <div class="list">
      <table class="grid">
        <thead><tr><th>Received</th><th>Event</th><th>Chat</th><th>Phone</th><th>Deliveries</th></tr></thead>
        <tbody id="events-body"></tbody>
      </table>
      <p id="events-empty" class="muted" hidden>No event matches.</p>
      <button type="button" id="more" hidden>Older events</button>
    </div>
    <aside id="detail" class="detail" hidden></aside>
  </div>
</section>

<section id="view-dead" class="view" hidden>
  <div class="toolbar">
    <select id="d-connector"><option value="">every connector</option></select>
    <button type="button" id="d-replay-selected" disabled>Replay selected</button>
    <button type="button" id="d-replay-connector">Replay all shown</button>
    <span id="d-count" class="muted"></span>
  </div>
  <table class="grid">
    <thead><tr><th><input type="checkbox" id="d-all" aria-label="select all"></th><th>Delivery</th><th>Event</th><th>Connector</th><th>Route</th><th>Attempts</th><th>Last error</th><th>Dead since</th></tr></thead>
    <tbody id="dead-body"></tbody>
  </table>
  <p id="dead-empty" class="muted" hidden>No dead letters.</p>
</section>

<section id="view-connectors" class="view" hidden>
  <div class="toolbar">
    <button type="button" id="c-refresh">Check health now</button>
    <span class="muted">Throughput: attempts in the last minute.</span>
  </div>
  <table class="grid">
    <thead><tr><th>Connector</th><th>Type</th><th>Health</th><th>State</th><th>Queue</th><th>Oldest due</th><th>Dead</th><th>In flight</th><th>Delivered/min</th><th>Retried/min</th><th>Failed/min</th><th></th></tr></thead>
    <tbody id="connectors-body"></tbody>
  </table>
</section>

<section id="view-tester" class="view" hidden>
  <p class="muted">Paste a webhook payload as Wassenger sends it. The current routes are evaluated and each connector's output rendered; nothing is stored or sent.</p>
  <textarea id="t-payload" spellcheck="false" placeholder='{"event": "message:in:new", "data": { … }}'></textarea>
  <div class="toolbar"><button type="button" id="t-run">Test routes</button></div>
  <div id="t-result"></div>
</section>

<section id="view-config" class="view" hidden>
  <div class="toolbar">
    <button type="button" id="cfg-reload">Reload config file</button>
    <span id="cfg-file" class="muted"></span>
  </div>
  <pre id="cfg-text" class="code"></pre>
</section>
</main>
<div id="toast" class="toast" role="status" hidden></div>
<script src="/console/console.js"></script>
</body>
</html>
`;
