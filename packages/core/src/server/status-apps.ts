// Sub-apps served with the status endpoints (on the admin listener, or with everything when there is none), such as
// the dashboard. Adding one = one line in STATUS_APPS; the traffic port answers 404 under its path when adminPort is set.
import type { Hono } from 'hono'
import { dashboardApp } from '../dashboard/dashboard-app.js'
import type { EndpointSource } from './endpoint-source.js'

/** A Hono sub-app mounted at `path` beside /_metrics; it checks the admin token itself when it needs one. */
export interface StatusApp {
  /** Where it is mounted, e.g. "/_dashboard". */
  readonly path: string
  /** The sub-app for this gateway, or undefined to leave it out (e.g. no admin token set). */
  create(gateway: EndpointSource): Hono | undefined
}

/** Every status sub-app, mounted in this order. */
export const STATUS_APPS: readonly StatusApp[] = [
  // The dashboard exists only with an admin token: its data always needs it.
  {
    path: '/_dashboard',
    create: (gateway) => (gateway.options.adminToken ? dashboardApp(gateway, { adminToken: gateway.options.adminToken }) : undefined),
  },
]
