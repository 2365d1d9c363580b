/**
 * The web dashboard in a real browser: Debian's chromium driven by playwright-core, against `lucent dashboard`
 * (a child process) on a real nats-server with two real `lucent-node` processes. Nodes appear; a node killed with
 * SIGKILL disappears within the heartbeat window; an actor opened in the search box changes on screen after an ask.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClusterClient, connectCluster } from '../../src/client/cluster-client.js';
import { type NatsServerHandle, startNatsServer } from '../../src/testing/nats-server.js';
import { type NodeProcess, NodeProcesses } from '../../src/testing/node-process.js';
import { clusterNodeArgs, fixture } from './cli-fixtures.js';

const LUCENT_CLI = fileURLToPath(new URL('../../bin/lucent.js', import.meta.url));
const CLUSTER = 'dashboard';
const HEARTBEAT_MS = 200;
/** Debian's package (`.ci/run` installs it); CHROMIUM_PATH overrides. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const processes = new NodeProcesses();
let server: NatsServerHandle;
let nodes: NodeProcess[];
let cluster: ClusterClient;
let dashboard: ChildProcess;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  accessSync(CHROMIUM); // fails loudly when the browser is missing: the test must not pass without it
  server = await startNatsServer({ jetstream: true });
  const options = { cluster: CLUSTER, natsUrl: server.url, heartbeatMs: HEARTBEAT_MS };
  const modules = [
    '--threads',
    '1',
    '--functions',
    fixture('shard-functions.mjs'),
    '--actors',
    fixture('shard-actors.mjs'),
  ];
  nodes = [
    processes.start({ args: clusterNodeArgs('n1', options, [...modules, '--tags', 'edge']) }),
    processes.start({ args: clusterNodeArgs('n2', options, modules) }),
    processes.start({ args: clusterNodeArgs('n3', options, modules) }),
  ];
  await Promise.all(nodes.map((node) => node.waitForLog('node.ready', 20_000)));
  cluster = await connectCluster({ servers: server.url, cluster: CLUSTER, heartbeatIntervalMs: HEARTBEAT_MS });
  await cluster.waitForMembers(3, 10_000);

  dashboard = spawn(process.execPath, [LUCENT_CLI, 'dashboard', '--port', '0'], {
    env: {
      ...process.env,
      LUCENT_NATS: server.url,
      LUCENT_CLUSTER: CLUSTER,
      LUCENT_HEARTBEAT_INTERVAL_MS: String(HEARTBEAT_MS),
    },
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`dashboard did not start: ${out}`)), 20_000);
    dashboard.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /dashboard at (http:\/\/\S+)/.exec(out);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    dashboard.once('exit', (code) => reject(new Error(`dashboard exited ${code}: ${out}`)));
  });
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
  dashboard?.kill('SIGKILL');
  await cluster?.close();
  await processes.killAll();
  await server?.stop();
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
    nodes[1]?.kill();
    await page.locator('tr[data-node="n2"]').waitFor({ state: 'detached', timeout: 10_000 });
    // Dead after 3 heartbeats (600 ms) plus a snapshot interval and the browser's round trip.
    expect(Date.now() - killedAt).toBeLessThan(5_000);
    expect(await page.locator('tr[data-node="n1"]').count()).toBe(1);
  }, 30_000);
});
