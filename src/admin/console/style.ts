/** The console's stylesheet. */
export const CONSOLE_CSS = String.raw`
:root { --bg: #f6f7f9; --panel: #fff; --line: #dde1e6; --text: #1d232b; --muted: #687382; --accent: #0b7a5c;
  --ok: #1a7f37; --warn: #9a6700; --bad: #cf222e; --info: #0969da; font: 13px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--text); }
[hidden] { display: none !important; }
.top { display: flex; align-items: center; gap: 16px; padding: 8px 16px; background: #13232e; color: #fff; }
.brand { font-weight: 700; letter-spacing: .02em; }
.top nav { display: flex; gap: 4px; }
.top nav button, #logout { background: transparent; color: #c9d6df; border: 1px solid transparent; padding: 5px 10px; border-radius: 6px; cursor: pointer; font: inherit; }
.top nav button.active { background: #24404f; color: #fff; }
.top nav button:hover, #logout:hover { border-color: #3d5a6a; }
.summary { margin-left: auto; color: #c9d6df; }
main { padding: 12px 16px; }
button { font: inherit; padding: 5px 12px; border: 1px solid var(--line); border-radius: 6px; background: var(--panel); cursor: pointer; }
button:hover:not(:disabled) { border-color: var(--accent); }
button:disabled { opacity: .5; cursor: default; }
button.primary, .login button { background: var(--accent); color: #fff; border-color: var(--accent); }
input, select, textarea { font: inherit; padding: 5px 8px; border: 1px solid var(--line); border-radius: 6px; background: #fff; }
.login { display: flex; justify-content: center; padding-top: 10vh; }
.login form { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 24px; width: 380px; display: grid; gap: 10px; }
.login h1 { margin: 0; font-size: 18px; }
.error { color: var(--bad); min-height: 1em; margin: 0; }
.muted { color: var(--muted); }
.filters, .toolbar { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; margin-bottom: 10px; }
.filters #f-q { width: 240px; }
.filters input:not([type]), .filters input[type=search] { width: 150px; }
.live { margin-left: auto; }
.list { overflow-x: auto; }
.split { display: grid; grid-template-columns: minmax(0, 6fr) minmax(0, 5fr); gap: 12px; align-items: start; }
.split:has(> .detail[hidden]) { grid-template-columns: 1fr; }
.grid { width: 100%; border-collapse: collapse; background: var(--panel); border: 1px solid var(--line); }
.grid th, .grid td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
.grid th { background: #eef1f4; font-weight: 600; font-size: 12px; color: #3b4552; }
.grid td { max-width: 200px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.grid td.wrap { white-space: normal; word-break: break-word; }
.event-row { cursor: pointer; }
.event-row:hover { background: #f0f6f4; }
.event-row.selected { background: #dff3ec; }
.badge { display: inline-block; padding: 0 7px; margin: 1px 3px 1px 0; border-radius: 10px; font-size: 11px; font-weight: 600; background: #eaeef2; color: #3b4552; white-space: nowrap; }
.badge.delivered, .badge.ok { background: #dafbe1; color: var(--ok); }
.badge.pending, .badge.retry, .badge.paused { background: #fff8c5; color: var(--warn); }
.badge.dead, .badge.failed, .badge.failing { background: #ffebe9; color: var(--bad); }
.badge.skipped, .badge.unchecked { background: #eaeef2; color: var(--muted); }
.detail { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; position: sticky; top: 8px; max-height: calc(100vh - 110px); overflow: auto; }
.detail h2 { font-size: 15px; margin: 0 0 4px; word-break: break-all; }
.detail dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 10px; margin: 8px 0; }
.detail dt { color: var(--muted); }
.detail dd { margin: 0; word-break: break-all; }
.delivery { border: 1px solid var(--line); border-radius: 8px; padding: 8px 10px; margin: 8px 0; }
.delivery-head { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
.timeline { list-style: none; margin: 8px 0 0; padding: 0 0 0 14px; border-left: 2px solid var(--line); }
.timeline li { position: relative; margin: 0 0 6px; padding-left: 6px; }
.timeline li::before { content: ""; position: absolute; left: -21px; top: 5px; width: 10px; height: 10px; border-radius: 50%; background: var(--line); }
.timeline li.delivered::before { background: var(--ok); }
.timeline li.retry::before { background: var(--warn); }
.timeline li.failed::before { background: var(--bad); }
.attempt-error { color: var(--bad); word-break: break-word; }
pre.code { background: #f6f8fa; border: 1px solid var(--line); border-radius: 6px; padding: 8px; overflow: auto; max-height: 420px; font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, monospace; white-space: pre-wrap; word-break: break-word; }
details summary { cursor: pointer; color: var(--info); margin-top: 8px; }
textarea { width: 100%; min-height: 220px; font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, monospace; }
.result-event { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; margin-bottom: 10px; }
.toast { position: fixed; right: 16px; bottom: 16px; background: #13232e; color: #fff; padding: 8px 14px; border-radius: 8px; box-shadow: 0 4px 16px rgba(0,0,0,.2); }
.toast.bad { background: var(--bad); }
`;
