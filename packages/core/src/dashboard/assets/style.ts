// The dashboard's stylesheet (served at /_dashboard/app.css): shipped in the package, no CDN.
export const DASHBOARD_CSS = `
:root { --bg: #0f1419; --panel: #171d24; --line: #263040; --text: #d8dee9; --muted: #8a96a8; --ok: #3fb950;
  --warn: #d29922; --bad: #f85149; --accent: #58a6ff; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--text); }
header { display: flex; align-items: center; gap: 16px; padding: 12px 20px; border-bottom: 1px solid var(--line); }
header h1 { font-size: 18px; margin: 0; font-weight: 600; }
header .spacer { flex: 1; }
main { padding: 16px 20px; display: grid; gap: 16px; }
section { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; overflow-x: auto; }
section h2 { font-size: 14px; margin: 0 0 10px; color: var(--muted); text-transform: uppercase; letter-spacing: .06em; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); white-space: nowrap; vertical-align: middle; }
th { color: var(--muted); font-weight: 500; font-size: 12px; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 12px; }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; }
.card .label { color: var(--muted); font-size: 12px; }
.card .value { font-size: 20px; font-variant-numeric: tabular-nums; }
.badge { background: rgba(138,150,168,.15); color: var(--muted); display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; margin-right: 4px; }
.state-CLOSED, .state-ok, .state-up, .state-ready { background: rgba(63,185,80,.15); color: var(--ok); }
.state-HALF_OPEN, .state-degraded, .state-paused, .state-connecting { background: rgba(210,153,34,.15); color: var(--warn); }
.state-OPEN, .state-down, .state-unhealthy, .state-unreachable { background: rgba(248,81,73,.15); color: var(--bad); }
.muted { color: var(--muted); }
svg.spark { width: 120px; height: 28px; vertical-align: middle; }
svg.spark polyline { fill: none; stroke: var(--accent); stroke-width: 1.5; }
.bar { display: inline-block; height: 8px; background: var(--accent); border-radius: 4px; vertical-align: middle; margin-right: 6px; }
.target { margin-right: 10px; font-size: 12px; }
.caller { display: flex; align-items: center; gap: 6px; font-size: 12px; }
button, input { font: inherit; color: var(--text); background: var(--bg); border: 1px solid var(--line); border-radius: 6px; padding: 6px 10px; }
button { cursor: pointer; }
#login { max-width: 360px; margin: 80px auto; display: grid; gap: 10px; }
#login p { margin: 0; }
.error { color: var(--bad); }
[hidden] { display: none !important; }
`
