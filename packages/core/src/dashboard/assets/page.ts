// The dashboard's HTML shell (served at /_dashboard): no data in it; the script fetches /_dashboard/data with the token.

/** The page for a dashboard mounted at `base` (e.g. `/_dashboard`). */
export const dashboardPage = (base: string): string => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Tollgate dashboard</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${base}/app.css">
<script src="${base}/app.js" defer></script>
</head>
<body data-base="${base}">
<header>
  <h1>Tollgate</h1>
  <span id="status" class="badge">…</span>
  <span id="uptime" class="muted"></span>
  <span class="spacer"></span>
  <span id="updated" class="muted"></span>
  <button id="logout" type="button" hidden>Sign out</button>
</header>
<form id="login" hidden>
  <p>Enter the gateway's admin token.</p>
  <input id="token" type="password" autocomplete="current-password" placeholder="admin token" required>
  <button type="submit">Open dashboard</button>
  <p id="login-error" class="error"></p>
</form>
<main id="board" hidden>
  <div class="cards" id="cards"></div>
  <section><h2>Routes</h2><table id="routes"><thead><tr>
    <th>Route</th><th>Prefix</th><th>Requests</th><th>req/s</th><th>last 5 min</th><th>5xx rate</th><th>p50 ms</th>
    <th>p99 ms</th><th>Rate-limited</th><th>Cache hit</th><th>Targets</th>
  </tr></thead><tbody></tbody></table></section>
  <section><h2>Circuit breakers</h2><table id="breakers"><thead><tr>
    <th>Upstream origin</th><th>State</th><th>Failures</th>
  </tr></thead><tbody></tbody></table></section>
  <section><h2>Upstream limits</h2><table id="upstreams"><thead><tr>
    <th>Upstream</th><th>Rate/s</th><th>Source</th><th>Pause</th><th>Queued</th><th>Throttles</th><th>Callers (share, queued)</th>
  </tr></thead><tbody></tbody></table></section>
  <section><h2>Stores</h2><table id="stores"><tbody></tbody></table></section>
</main>
</body>
</html>
`
