// The "Testing your functions and actors" example of the README, run as written (keep the two in sync; only the
// module paths differ: the README's ./fns.js and ./actors.js are this test's fixtures).
import { defineFunction } from '@lucent/core/internal';
import { describe, expect, it } from 'vitest';
import { createTestCluster } from '../../src/index.js';
import { counter } from '../fixtures/counter-actor.js';

// What `import { addOne } from './fns.js'` gives the README (the fixture module is untyped JavaScript).
const addOne = defineFunction({ name: 'addOne' }, (_ctx, x: number) => x + 1);
const fns = new URL('../fixtures/math.mjs', import.meta.url);
const actors = new URL('../fixtures/counter-actor.ts', import.meta.url);

describe('README: test cluster example', () => {
  it('runs as documented', async () => {
    // --- README start ---
    const cluster = await createTestCluster({
      nodes: 3, // real shard nodes (what lucent-node runs), in this process
      transport: 'memory', // or 'nats': its own nats-server (JetStream, free port), or `servers` you give it
      functions: [fns], // function modules, as --functions takes them
      actors: [actors],
    });
    try {
      const answer = await cluster.client.call(addOne, 41); // 42, run in the owner's worker pool

      const handle = cluster.client.actor(counter, 'c-1');
      handle.tell({ type: 'inc' });
      const owner = cluster.view.ring.owner('counter/c-1');
      await cluster.stopNode(owner); // graceful: it leaves at once and saves its actors
      const after = await handle.ask({ type: 'inc' }); // { count: 2 } on the next owner

      const next = cluster.view.ring.owner('counter/c-1');
      await cluster.killNode(next); // a crash: no leave, no save; the others notice after deadAfterMs
      await cluster.waitForView((view) => !view.members.some((m) => m.id === next));
      const recovered = await handle.ask({ type: 'get' }); // { count: 1 }: the last saved state
      // --- README end ---

      expect(answer).toBe(42);
      expect(after.count).toBe(2);
      expect(recovered.count).toBe(1);
      expect(cluster.view.members).toHaveLength(1);
    } finally {
      await cluster.close();
    }
  });
});
