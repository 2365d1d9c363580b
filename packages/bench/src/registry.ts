import { readdir } from 'node:fs/promises';
import type { Scenario } from './scenario.js';

/**
 * Every scenario under `scenarios/` (each file exports `scenario`), sorted by name so runs are comparable.
 * Discovered from the folder so that adding a scenario is adding one file.
 */
export async function loadScenarios(): Promise<Scenario[]> {
  const dir = new URL('./scenarios/', import.meta.url);
  const files = (await readdir(dir)).filter((f) => f.endsWith('.js')).sort();
  const modules = await Promise.all(files.map((f) => import(new URL(f, dir).href) as Promise<{ scenario: Scenario }>));
  return modules.map((m) => m.scenario).sort((a, b) => a.name.localeCompare(b.name));
}
