/**
 * The web dashboard in a real browser: Debian's chromium driven by playwright-core, against `lucent dashboard`
 * (a child process) on a real nats-server with two real `lucent-node` processes. Nodes appear; a node killed with
 * SIGKILL disappears within the heartbeat window; an actor opened in the search box changes on screen after an ask.
 */
import { accessSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeProcess } from '../../src/testing/node-process.js';
import { type NodeProcessCluster, startNodeProcessCluster } from '../../src/testing/node-process-cluster.js';
import { fixture } from './cli-fixtures.js';

/** Debian's package (`.ci/run` installs it); CHROMIUM_PATH overrides. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

let cluster: NodeProcessCluster;
let dashboard: NodeProcess;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  accessSync(CHROMIUM); // fails loudly when the browser is missing: the test must not pass without it
  cluster = await startNodeProcessCluster({
    cluster: 'dashboard',
    nodes: ['n1', 'n2', 'n3'],
    args: ['--threads', '1', '--functions', fixture('shard-functions.mjs'), '--actors', fixture('shard-actors.mjs')],
    nodeArgs: { n1: ['--tags', 'edge'] },
  });
  dashboard = cluster.cli.start('dashboard', '--port', '0');
  // Up to the space after the URL: a URL cut between two chunks of output would match in part.
  const [, url = ''] = await dashboard.waitForMatch(/dashboard at (http:\/\/\S+) /, 20_000);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  page = await browser.newPage();
  await page.goto(url);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  dashboard?.kill();
  await cluster?.close();
});

describe('the dashboard in a browser', () => {
  it('shows the three nodes with their ring shares, calls/s under load, and the actor types', async () => {
    for (const id of ['n1', 'n2', 'n3']) await page.locator(`tr[data-node="${id}"]`).waitFor({ timeout: 10_000 });
    // Load: calls keep flowing until the page shows them as calls/s (bounded).
    let stop = false;
    const load = (async () => {
      while (!stop) await Promise.all(Array.from({ length: 8 }, (_, i) => cluster.client.call('add', { a: i, b: 1 })));
    })();
    try {
      await expect
        .poll(
          async () => {
            const rates = await page.locator('tr[data-node] td[data-field="calls"]').allTextContents();
            return rates.reduce((sum, text) => sum + Number(text), 0);
          },
          { timeout: 15_000 },
        )
        .toBeGreaterThan(0);
    } finally {
      stop = true;
      await load;
    }
    expect(await page.locator('tr[data-node="n1"]').textContent()).toContain('edge');
    expect(await page.locator('tr[data-ring-node="n1"]').textContent()).toMatch(/%/);
    expect(await page.locator('tr[data-actor-type="counter"]').textContent()).toMatch(/counter/);
    expect(await page.locator('tr[data-node] canvas').count()).toBe(3); // one uPlot chart per node
  }, 30_000);

  it('shows an actor’s state and context, and the change after an ask', async () => {
    await cluster.client.actor('counter', 'dash-1').ask({ type: 'inc', by: 5 });
    await page.fill('#actor-type', 'counter');
    await page.fill('#actor-id', 'dash-1');
    await page.click('#actor-search button');
    const context = page.locator('#actor-view [data-field="context"]');
    await expect
      .poll(async () => (await context.count()) > 0 && (await context.textContent()), { timeout: 10_000 })
      .toContain('"count": 5');
    await cluster.client.actor('counter', 'dash-1').ask({ type: 'inc' });
    await expect.poll(() => context.textContent(), { timeout: 10_000 }).toContain('"count": 6');
    expect(await page.locator('#actor-view').textContent()).toMatch(/counter\/dash-1 on n\d · running/);
  }, 30_000);

  it('drops a node killed with SIGKILL within the heartbeat window', async () => {
    const killedAt = Date.now();
    cluster.node('n2').kill();
    await page.locator('tr[data-node="n2"]').waitFor({ state: 'detached', timeout: 10_000 });
    // Dead after 3 heartbeats (600 ms) plus a snapshot interval and the browser's round trip.
    expect(Date.now() - killedAt).toBeLessThan(5_000);
    expect(await page.locator('tr[data-node="n1"]').count()).toBe(1);
  }, 30_000);
});
