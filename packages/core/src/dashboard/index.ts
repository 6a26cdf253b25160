// The live dashboard (GET /_dashboard): a Hono sub-app and the data model it polls.
export { dashboardApp, type DashboardOptions } from './dashboard-app.js'
export { dashboardData, type DashboardData, type DashboardRoute, type DashboardSource, type DashboardUpstream } from './data.js'
