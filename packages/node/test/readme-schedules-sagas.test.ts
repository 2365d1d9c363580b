// The module examples of the README's "Schedules" and "Sagas" sections are the fixtures the integration tests run
// on real nodes (schedule-cron, event-when, saga): this keeps the two the same text.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const root = new URL('../../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');
const normalize = (text: string) => text.replace(/\s+/g, ' ').trim();

/** The ```js blocks of README section `title` (up to the next `## `), from their first `import` line on. */
function moduleBlocks(title: string): string[] {
  const readme = read('README.md');
  const start = readme.indexOf(`\n## ${title}\n`);
  expect(start).toBeGreaterThan(0);
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end);
  return [...section.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]!.slice(m[1]!.indexOf('import ')));
}

const fixtures = [
  'scheduled-functions.mjs',
  'conditional-functions.mjs',
  'conditional-actors.mjs',
  'saga-actors.mjs',
  'saga-effects.mjs',
  'payment-saga.mjs',
].map((name) => normalize(read(`packages/node/test/fixtures/${name}`)));

describe('README: schedules and sagas', () => {
  it.each(['Schedules', 'Sagas'])('every module example of "%s" is a tested fixture, as written', (title) => {
    const blocks = moduleBlocks(title);
    expect(blocks.length).toBeGreaterThanOrEqual(2);
    for (const block of blocks) {
      expect(fixtures.some((fixture) => fixture.includes(normalize(block)))).toBe(true);
    }
  });
});
