#!/usr/bin/env node
/**
 * `pnpm bench [suite|scenario …]`: runs the matching scenarios, prints a Markdown table per scenario and
 * writes `bench-results/<date>.{md,json}` at the repository root.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadScenarios } from './registry.js';
import { toMarkdown, verdicts } from './report.js';

const selectors = process.argv.slice(2);
const timeMs = Number(process.env.BENCH_TIME_MS ?? 1000);
const all = await loadScenarios();
const chosen = all.filter((s) => selectors.length === 0 || selectors.some((sel) => s.suite === sel || s.name === sel));
if (chosen.length === 0) {
  console.error(`no scenario matches ${selectors.join(' ')}; known: ${all.map((s) => s.name).join(', ')}`);
  process.exit(2);
}

const header = `Node ${process.version}, ${process.platform}/${process.arch}, ${new Date().toISOString()}`;
console.log(`# Lucent bench\n\n${header}\n`);
const json: unknown[] = [];
let markdown = `# Lucent bench\n\n${header}\n\n`;
for (const scenario of chosen) {
  const result = await scenario.run({ timeMs });
  const md = toMarkdown(scenario, result);
  console.log(md);
  markdown += `${md}\n`;
  json.push({ scenario: scenario.name, ...result, verdicts: verdicts(result) });
}

const dir = join(process.env.INIT_CWD ?? process.cwd(), 'bench-results');
await mkdir(dir, { recursive: true });
// Selectors may be scenario names (`core/codec`): keep the file name flat.
const label = selectors.join('-').replace(/[^A-Za-z0-9_-]/g, '_') || 'all';
const stem = `${label}-${new Date().toISOString().replace(/[:.]/g, '-')}`;
await writeFile(join(dir, `${stem}.json`), `${JSON.stringify({ header, results: json }, null, 2)}\n`);
await writeFile(join(dir, `${stem}.md`), markdown);
console.log(`written: bench-results/${stem}.{md,json}`);
