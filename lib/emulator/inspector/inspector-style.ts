/** The inspector's stylesheet: system fonts, WCAG AA contrast for every text and badge colour. */
export const INSPECTOR_STYLE = `
:root {
  color-scheme: light;
  --ink: #1b1f24; --muted: #4a5360; --line: #d5dae1; --paper: #ffffff; --wash: #f4f6f9;
  --accent: #0b57d0; --ok-ink: #0b5d27; --ok-bg: #e3f4e8; --warn-ink: #6e4300; --warn-bg: #fff0d1;
  --bad-ink: #8f1414; --bad-bg: #fde4e4; --info-ink: #0a4a84; --info-bg: #e2efff;
  --retry-ink: #5a2682; --retry-bg: #f0e6fb;
}
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--wash); }
code, pre, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; }
h1 { font-size: 20px; margin: 0; }
h2 { font-size: 16px; margin: 0 0 8px; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.skip { position: absolute; left: -999px; top: 8px; background: var(--paper); padding: 6px 10px; }
.skip:focus { left: 8px; z-index: 2; }
:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.top { display: flex; justify-content: space-between; align-items: center; gap: 16px; padding: 14px 20px; background: var(--paper); border-bottom: 1px solid var(--line); }
.endpoint { margin: 2px 0 0; color: var(--muted); }
.health { display: flex; gap: 8px; }
.pill { margin: 0; padding: 3px 10px; border-radius: 999px; font-weight: 600; font-size: 13px; border: 1px solid transparent; }
.pill-ok { color: var(--ok-ink); background: var(--ok-bg); border-color: #9fd3b0; }
.pill-bad { color: var(--bad-ink); background: var(--bad-bg); border-color: #f0a9a9; }
.pill-wait { color: var(--muted); background: var(--wash); border-color: var(--line); }
.counters dl { display: grid; grid-template-columns: repeat(6, minmax(0, 1fr)); gap: 10px; margin: 14px 20px; }
.counters dl > div { background: var(--paper); border: 1px solid var(--line); border-radius: 8px; padding: 8px 12px; }
.counters dt { color: var(--muted); font-size: 13px; }
.counters dd { margin: 0; font-size: 22px; font-weight: 700; font-variant-numeric: tabular-nums; }
.panels { display: grid; grid-template-columns: 1fr 1fr; gap: 14px; margin: 0 20px 14px; }
.panel { background: var(--paper); border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; }
.hint { color: var(--muted); margin: 0 0 8px; }
.buttons { display: flex; flex-wrap: wrap; gap: 8px; margin: 8px 0; align-items: center; }
.with-input { display: inline-flex; gap: 6px; align-items: center; }
button { font: inherit; font-size: 14px; padding: 6px 12px; border-radius: 6px; border: 1px solid #9aa5b1; background: var(--paper); color: var(--ink); cursor: pointer; }
button:hover { background: var(--wash); }
button:disabled { color: #5f6873; background: var(--wash); cursor: not-allowed; }
button[aria-pressed="true"] { background: var(--info-bg); color: var(--info-ink); border-color: var(--info-ink); }
input { font: inherit; font-size: 14px; padding: 5px 8px; border: 1px solid #9aa5b1; border-radius: 6px; min-width: 0; }
#retry-after { width: 5.5em; }
.filters { display: grid; grid-template-columns: max-content 1fr; gap: 6px 10px; align-items: center; }
.message { min-height: 1.4em; margin: 4px 0 0; color: var(--muted); }
.message.error { color: var(--bad-ink); }
main { margin: 0 20px 30px; }
.empty { color: var(--muted); }
.requests { list-style: none; margin: 0; padding: 0; display: grid; gap: 10px; }
.request { background: var(--paper); border: 1px solid var(--line); border-left: 5px solid var(--line); border-radius: 8px; padding: 10px 12px; }
.request.ok { border-left-color: #2e8b4e; }
.request.client-error { border-left-color: #b7791f; }
.request.server-error, .request.no-response { border-left-color: #c53030; }
.request-head { display: flex; flex-wrap: wrap; gap: 6px 12px; align-items: center; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 4px; font-weight: 600; font-size: 13px; }
.badge.ok { color: var(--ok-ink); background: var(--ok-bg); }
.badge.client-error { color: var(--warn-ink); background: var(--warn-bg); }
.badge.server-error, .badge.no-response, .badge.fault { color: var(--bad-ink); background: var(--bad-bg); }
.badge.replayed { color: var(--info-ink); background: var(--info-bg); }
.badge.retry { color: var(--retry-ink); background: var(--retry-bg); }
.meta { color: var(--muted); }
.key { border: 0; background: none; padding: 0; color: var(--accent); text-decoration: underline; font-size: 13px; }
.events { list-style: none; margin: 8px 0 0; padding: 0; display: grid; gap: 6px; }
.event { border-top: 1px solid var(--line); padding-top: 6px; }
.event-head { display: flex; flex-wrap: wrap; gap: 4px 12px; align-items: baseline; }
.event-name { font-weight: 700; }
.field { color: var(--muted); }
.field code { color: var(--ink); }
.preview { margin: 2px 0; color: var(--ink); overflow-wrap: anywhere; }
details summary { cursor: pointer; color: var(--accent); font-size: 13px; }
pre { margin: 4px 0 0; padding: 8px; background: var(--wash); border: 1px solid var(--line); border-radius: 6px; overflow: auto; max-height: 320px; white-space: pre-wrap; overflow-wrap: anywhere; }
.note { color: var(--muted); font-style: italic; }
@media (max-width: 900px) { .panels { grid-template-columns: 1fr; } .counters dl { grid-template-columns: repeat(3, minmax(0, 1fr)); } }
`;
