// The dashboard's script (served at /_dashboard/app.js): plain browser JavaScript, no framework, no CDN. It keeps the
// admin token in sessionStorage only, polls /_dashboard/data with it, and draws tables and SVG sparklines.
export const DASHBOARD_JS = `'use strict'
;(() => {
  const TOKEN_KEY = 'tollgate.dashboard.token'
  const INTERVAL_MS = Number(new URLSearchParams(location.search).get('interval')) || 2000
  const HISTORY_MS = 5 * 60 * 1000
  const base = document.body.dataset.base
  const $ = (id) => document.getElementById(id)
  const SVG = 'http://www.w3.org/2000/svg'
  /** Per series name: [{ t, v }] over the last HISTORY_MS. */
  const series = new Map()
  let previous = null
  let timer = null

  /** Elements are built from text only: nothing the gateway reports is ever parsed as HTML. */
  const el = (tag, props, ...children) => {
    const node = document.createElement(tag)
    for (const [k, v] of Object.entries(props || {})) {
      if (k === 'class') node.className = v
      else if (k === 'text') node.textContent = v
      else node.setAttribute(k, v)
    }
    for (const child of children) if (child !== null && child !== undefined) node.append(child)
    return node
  }
  const badge = (state) => el('span', { class: 'badge state-' + String(state).replace(/[^A-Za-z_]/g, ''), text: String(state) })
  const fixed = (n, digits) => (n === null || n === undefined || !Number.isFinite(n) ? '—' : n.toFixed(digits))
  const pct = (n) => (n === null || !Number.isFinite(n) ? '—' : (n * 100).toFixed(1) + '%')
  const bytes = (n) => (n >= 1 << 30 ? fixed(n / (1 << 30), 2) + ' GiB' : fixed(n / (1 << 20), 1) + ' MiB')
  const duration = (s) => (s < 120 ? Math.round(s) + ' s' : s < 7200 ? Math.round(s / 60) + ' min' : fixed(s / 3600, 1) + ' h')

  const remember = (name, t, v) => {
    let points = series.get(name)
    if (!points) series.set(name, (points = []))
    points.push({ t, v })
    while (points.length && points[0].t < t - HISTORY_MS) points.shift()
    return points
  }

  /** An inline SVG line of the points (time on x, value on y, scaled to the largest). */
  const sparkline = (points) => {
    const svg = document.createElementNS(SVG, 'svg')
    svg.setAttribute('class', 'spark')
    svg.setAttribute('viewBox', '0 0 120 28')
    svg.setAttribute('preserveAspectRatio', 'none')
    const line = document.createElementNS(SVG, 'polyline')
    const max = Math.max(1e-9, ...points.map((p) => p.v))
    // Spread the points over the width until HISTORY_MS of them exist, then scroll.
    const last = points.length ? points[points.length - 1].t : 0
    const t0 = points.length ? Math.max(points[0].t, last - HISTORY_MS) : 0
    const span = Math.max(1, last - t0)
    line.setAttribute('points', points.map((p) => ((p.t - t0) / span) * 120 + ',' + (27 - (p.v / max) * 25)).join(' '))
    svg.append(line)
    return svg
  }

  const rate = (now, prev, key) => {
    if (!prev || now.time <= prev.time) return null
    return Math.max(0, (now[key] - prev[key]) / ((now.time - prev.time) / 1000))
  }

  const fill = (table, rows) => {
    const body = $(table).tBodies[0]
    body.replaceChildren(...rows)
  }

  const renderCards = (data) => {
    const total = data.routes.reduce((sum, r) => sum + r.requests, 0)
    const prevTotal = previous ? previous.routes.reduce((sum, r) => sum + r.requests, 0) : null
    const rps = previous && data.time > previous.time ? Math.max(0, (total - prevTotal) / ((data.time - previous.time) / 1000)) : null
    const spark = rps === null ? series.get('*') || [] : remember('*', data.time, rps)
    const p = data.process
    const cards = [
      ['Requests', String(total), null],
      ['req/s', fixed(rps, 1), sparkline(spark)],
      ['Event-loop p99', p && p.eventLoopP99Ms !== null ? fixed(p.eventLoopP99Ms, 1) + ' ms' : '—', null],
      ['Heap', p ? bytes(p.heapUsedBytes) + ' / ' + bytes(p.heapTotalBytes) : '—', null],
      ['RSS', p ? bytes(p.rssBytes) : '—', null],
      ['GC pauses', p ? p.gcCount + ' (' + fixed(p.gcSeconds, 2) + ' s)' : '—', null],
      ['Upstream sockets', p ? String(p.openUpstreamSockets) : '—', null],
      ['Active handles', p ? String(p.activeHandles) : '—', null],
    ]
    $('cards').replaceChildren(
      ...cards.map(([label, value, extra]) => el('div', { class: 'card' }, el('div', { class: 'label', text: label }), el('div', { class: 'value', text: value }), extra)),
    )
  }

  const renderRoutes = (data) => {
    const before = new Map((previous ? previous.routes : []).map((r) => [r.id, Object.assign({ time: previous.time }, r)]))
    fill(
      'routes',
      data.routes.map((r) => {
        const rps = rate(Object.assign({ time: data.time }, r), before.get(r.id), 'requests')
        const points = rps === null ? series.get('route:' + r.id) || [] : remember('route:' + r.id, data.time, rps)
        const looked = r.cacheHits + r.cacheMisses
        const targets = el(
          'span',
          null,
          ...r.targets.map((t) =>
            el('span', { class: 'target', title: t.url }, badge(t.breaker === 'CLOSED' ? (t.healthy ? (t.draining ? 'draining' : 'up') : 'down') : t.breaker), el('span', { class: 'muted', text: new URL(t.url).host })),
          ),
        )
        return el(
          'tr',
          { 'data-route': r.id },
          el('td', { text: r.id }),
          el('td', { class: 'muted', text: r.prefix }),
          el('td', { class: 'num', 'data-field': 'requests', text: String(r.requests) }),
          el('td', { class: 'num', text: fixed(rps, 1) }),
          el('td', null, sparkline(points)),
          el('td', { class: 'num', text: r.requests ? pct(r.serverErrors / r.requests) : '—' }),
          el('td', { class: 'num', text: fixed(r.p50, 1) }),
          el('td', { class: 'num', text: fixed(r.p99, 1) }),
          el('td', { class: 'num', text: String(r.rateLimited) }),
          el('td', { class: 'num', text: looked ? pct(r.cacheHits / looked) : '—' }),
          el('td', null, targets),
        )
      }),
    )
  }

  const renderBreakers = (data) => {
    const rows = data.breakers.map((b) =>
      el('tr', { 'data-origin': b.origin }, el('td', { text: b.origin }), el('td', null, badge(b.state)), el('td', { class: 'num', text: String(b.failures) })),
    )
    fill('breakers', rows.length ? rows : [el('tr', null, el('td', { class: 'muted', colspan: '3', text: 'No upstream called yet' }))])
  }

  const renderUpstreams = (data) => {
    const rows = data.upstreams.map((u) => {
      const callers = el(
        'div',
        null,
        ...u.callers.map((c) => {
          const bar = el('span', { class: 'bar' })
          bar.style.width = Math.max(2, Math.round(c.share * 120)) + 'px'
          return el('div', { class: 'caller' }, bar, el('span', { text: c.id + ' ' + pct(c.share) + (c.queued ? ', ' + c.queued + ' queued' : '') }))
        }),
      )
      return el(
        'tr',
        null,
        el('td', { text: u.key }),
        el('td', { class: 'num', text: fixed(u.ratePerSecond, 2) }),
        el('td', { class: 'muted', text: u.rateSource }),
        el('td', null, u.pausedMs > 0 ? badge('paused') : el('span', { class: 'muted', text: '—' }), u.pausedMs > 0 ? fixed(u.pausedMs / 1000, 1) + ' s' : null),
        el('td', { class: 'num', text: String(u.queued) }),
        el('td', { class: 'num', text: String(u.throttles) }),
        el('td', null, callers),
      )
    })
    fill('upstreams', rows.length ? rows : [el('tr', null, el('td', { class: 'muted', colspan: '7', text: 'No upstream-limited route used yet' }))])
  }

  const renderStores = (data) => {
    fill(
      'stores',
      Object.entries(data.stores).map(([name, value]) => {
        const state = value && typeof value === 'object' ? value.status : value
        const detail = value && typeof value === 'object' ? Object.entries(value).filter(([k]) => k !== 'status').map(([k, v]) => k + ': ' + (typeof v === 'object' ? JSON.stringify(v) : v)).join(', ') : ''
        return el('tr', null, el('td', { text: name }), el('td', null, badge(state)), el('td', { class: 'muted', text: detail }))
      }),
    )
  }

  const render = (data) => {
    $('status').replaceWith(Object.assign(badge(data.status), { id: 'status' }))
    $('uptime').textContent = 'up ' + duration(data.uptimeSeconds)
    $('updated').textContent = 'updated ' + new Date(data.time).toLocaleTimeString()
    renderCards(data)
    renderRoutes(data)
    renderBreakers(data)
    renderUpstreams(data)
    renderStores(data)
    previous = data
  }

  const showLogin = (message) => {
    clearTimeout(timer)
    $('board').hidden = true
    $('logout').hidden = true
    $('login').hidden = false
    $('login-error').textContent = message || ''
  }

  const poll = async () => {
    const token = sessionStorage.getItem(TOKEN_KEY)
    if (!token) return showLogin()
    let response
    try {
      response = await fetch(base + '/data', { headers: { authorization: 'Bearer ' + token }, cache: 'no-store' })
    } catch {
      $('status').replaceWith(Object.assign(badge('unreachable'), { id: 'status' }))
      timer = setTimeout(poll, INTERVAL_MS)
      return
    }
    if (response.status === 401) {
      sessionStorage.removeItem(TOKEN_KEY)
      return showLogin('The gateway refused this token.')
    }
    if (response.ok) {
      $('login').hidden = true
      $('board').hidden = false
      $('logout').hidden = false
      render(await response.json())
    }
    timer = setTimeout(poll, INTERVAL_MS)
  }

  /** A token given once in the address (#token=… or ?token=…) moves to sessionStorage and leaves the address. */
  const takeTokenFromAddress = () => {
    const fragment = new URLSearchParams(location.hash.slice(1))
    const query = new URLSearchParams(location.search)
    const token = fragment.get('token') || query.get('token')
    if (!token) return
    sessionStorage.setItem(TOKEN_KEY, token)
    query.delete('token')
    const rest = query.toString()
    window.history.replaceState(null, '', location.pathname + (rest ? '?' + rest : ''))
  }

  $('login').addEventListener('submit', (event) => {
    event.preventDefault()
    sessionStorage.setItem(TOKEN_KEY, $('token').value)
    $('token').value = ''
    poll()
  })
  $('logout').addEventListener('click', () => {
    sessionStorage.removeItem(TOKEN_KEY)
    showLogin()
  })
  takeTokenFromAddress()
  poll()
})()
`
