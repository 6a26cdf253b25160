// The live dashboard as a Hono sub-app: the page and its assets (no data in them), and the data behind the admin token.
import { Hono } from 'hono'
import { requireToken } from '../admin/admin-api.js'
import { DASHBOARD_JS } from './assets/script.js'
import { DASHBOARD_CSS } from './assets/style.js'
import { dashboardPage } from './assets/page.js'
import { dashboardData, type DashboardSource } from './data.js'

export interface DashboardOptions {
  /** Bearer token the data endpoint requires (the gateway's adminToken). */
  adminToken: string
  /** Where the app is mounted (the page links its assets from there). Default `/_dashboard`. */
  basePath?: string
}

/** Same-origin assets and data only; no inline script, no framing. */
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

const BASE_PATH = /^(\/[A-Za-z0-9._~-]+)+$/

/**
 * The dashboard: `GET /` the page, `/app.js` and `/app.css` its assets (public: they hold no data), `GET /data` the
 * figures (needs `Authorization: Bearer <adminToken>`; the page asks for the token, or takes it once from
 * `#token=…`, and keeps it in sessionStorage).
 * @example
 * app.route('/_dashboard', dashboardApp(gateway, { adminToken }))
 */
export const dashboardApp = (source: DashboardSource, options: DashboardOptions): Hono => {
  if (typeof options.adminToken !== 'string' || options.adminToken === '') {
    throw new TypeError('dashboardApp needs a non-empty adminToken; leave the dashboard unmounted without one')
  }
  const base = options.basePath ?? '/_dashboard'
  if (!BASE_PATH.test(base)) throw new TypeError(`dashboardApp: basePath must be a path such as /_dashboard, got ${JSON.stringify(base)}`)
  const page = dashboardPage(base)
  const app = new Hono()
  app.use('*', async function dashboardHeaders(c, next) {
    await next()
    c.header('Cache-Control', 'no-store')
    c.header('Content-Security-Policy', CSP)
    c.header('Referrer-Policy', 'no-referrer')
    c.header('X-Content-Type-Options', 'nosniff')
  })
  app.get('/', (c) => c.html(page))
  app.get('/app.js', (c) => c.body(DASHBOARD_JS, 200, { 'content-type': 'text/javascript; charset=utf-8' }))
  app.get('/app.css', (c) => c.body(DASHBOARD_CSS, 200, { 'content-type': 'text/css; charset=utf-8' }))
  app.get('/data', requireToken(options.adminToken), (c) => c.json(dashboardData(source)))
  return app
}
