// The dashboard in a real headless Chromium: loads with the token, lists every route, moves with traffic, shows a
// tripped breaker as OPEN, logs no console error. TOLLGATE_DASHBOARD_SCREENSHOT=<path> also writes the screenshot there
// (docs/dashboard.png is made this way).
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { afterEach, describe, expect, it } from 'vitest'
import { BUSY_ADMIN_TOKEN, startBusyGateway } from '../testing/busy-gateway.test-helper.js'
import { createHarness } from '../testing/gateway-harness.js'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const available = existsSync(CHROMIUM)
if (!available && process.env.CI) throw new Error(`chromium is missing at ${CHROMIUM} (apt-get install -y chromium)`)
if (!available) console.warn(`SKIPPED: chromium not found at ${CHROMIUM}; install it with apt-get install -y chromium`)

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

const h = createHarness()
afterEach(() => h.close())

/** A browser with a fresh profile in a temp dir, closed (and the dir removed) after the test. */
const launch = async (): Promise<{ context: BrowserContext; dir: string }> => {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-dashboard-'))
  const context = await chromium.launchPersistentContext(join(dir, 'profile'), {
    executablePath: CHROMIUM,
    args: ARGS,
    headless: true,
    viewport: { width: 1400, height: 1000 },
  })
  h.defer(async () => {
    await context.close()
    rmSync(dir, { recursive: true, force: true })
  })
  return { context, dir }
}

const requestsOf = async (page: Page, route: string): Promise<number> =>
  Number(await page.locator(`tr[data-route="${route}"] td[data-field="requests"]`).textContent())

describe.skipIf(!available)('dashboard in headless Chromium', () => {
  it('loads with the token, shows every route, moves with traffic, shows a tripped breaker OPEN, logs no error', {
    timeout: 30_000,
  }, async () => {
    const busy = await startBusyGateway(h)
    await busy.traffic(2)
    const { context, dir } = await launch()
    const page = context.pages()[0] ?? (await context.newPage())
    const errors: string[] = []
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text())
    })
    page.on('pageerror', (error) => errors.push(error.message))

    await page.goto(`${busy.url}/_dashboard?interval=250&token=${BUSY_ADMIN_TOKEN}`)
    // The token leaves the address bar for sessionStorage.
    await page.locator('#board:not([hidden])').waitFor({ timeout: 10_000 })
    expect(page.url()).not.toContain(BUSY_ADMIN_TOKEN)
    expect(page.url()).toContain('interval=250')
    for (const route of busy.gateway.routes) await page.locator(`tr[data-route="${route.id}"]`).waitFor({ timeout: 5_000 })
    expect(await page.locator('tr[data-route]').count()).toBe(busy.gateway.routes.length)

    const before = await requestsOf(page, 'api')
    expect(before).toBeGreaterThan(0)
    await busy.traffic(3)
    await expect.poll(() => requestsOf(page, 'api'), { timeout: 10_000 }).toBe(before + 3)
    await expect
      .poll(async () => Number(await page.locator('tr[data-route="api"] td').nth(8).textContent()), { timeout: 5_000 })
      .toBeGreaterThan(0)

    await busy.tripBreaker()
    const flaky = busy.gateway.routes.find((r) => r.id === 'flaky')
    const origin = flaky?.pool.targets[0]?.origin ?? ''
    await expect.poll(() => page.locator(`tr[data-origin="${origin}"] .badge`).textContent(), { timeout: 10_000 }).toBe('OPEN')
    await expect.poll(() => page.locator('tr[data-route="flaky"] .badge').first().textContent(), { timeout: 5_000 }).toBe('OPEN')
    await expect.poll(() => page.locator('#upstreams tbody tr').first().textContent(), { timeout: 5_000 }).toContain('tenant-')

    const shot = join(dir, 'dashboard.png')
    await page.screenshot({ path: shot, fullPage: true })
    expect(statSync(shot).size).toBeGreaterThan(10_000)
    const docs = process.env.TOLLGATE_DASHBOARD_SCREENSHOT
    if (docs) {
      // A few seconds of traffic, so the sparklines have a shape.
      for (let i = 0; i < 12; i++) {
        await busy.traffic(1 + (i % 4))
        await new Promise((r) => setTimeout(r, 300))
      }
      await page.screenshot({ path: docs, fullPage: true })
    }
    expect(errors).toEqual([])
  })

  it('asks for the token when none is stored, and again when the gateway refuses it', { timeout: 30_000 }, async () => {
    const busy = await startBusyGateway(h)
    const { context } = await launch()
    const page = await context.newPage()
    await page.goto(`${busy.url}/_dashboard`)
    await page.locator('#login:not([hidden])').waitFor({ timeout: 10_000 })
    await page.fill('#token', 'wrong-token')
    await page.click('#login button')
    await expect.poll(() => page.locator('#login-error').textContent(), { timeout: 10_000 }).toContain('refused')
    await page.fill('#token', BUSY_ADMIN_TOKEN)
    await page.click('#login button')
    await page.locator('tr[data-route="api"]').waitFor({ timeout: 10_000 })
    expect(await page.evaluate('sessionStorage.length')).toBe(1)
  })
})
