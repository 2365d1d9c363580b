import { median } from './measure.js';
import type { Measurement, Ratio, Scenario, ScenarioResult, Target } from './scenario.js';

/** A ratio or target with its computed value and verdict. */
export interface Verdict {
  readonly name: string;
  readonly value: number;
  readonly goal: string;
  readonly met: boolean | null;
}

function find(result: ScenarioResult, name: string): Measurement {
  const m = result.measurements.find((x) => x.name === name);
  if (m === undefined) throw new Error(`no measurement named '${name}'`);
  return m;
}

function check(value: number, goal: { op: '>=' | '<='; value: number } | undefined): boolean | null {
  if (goal === undefined) return null;
  return goal.op === '>=' ? value >= goal.value : value <= goal.value;
}

/** Computes every ratio and target of a result. Pure: the numbers in, the verdicts out. */
export function verdicts(result: ScenarioResult): Verdict[] {
  const ratios = (result.ratios ?? []).map((r: Ratio): Verdict => {
    const value = r.rounds === undefined ? find(result, r.of).value / find(result, r.to).value : median(r.rounds);
    const goal = r.goal === undefined ? '' : `${r.goal.op} ${r.goal.value}×`;
    return { name: r.name, value, goal, met: check(value, r.goal) };
  });
  const targets = (result.targets ?? []).map((t: Target): Verdict => {
    const m = find(result, t.measurement);
    return { name: t.name, value: m.value, goal: `${t.op} ${t.value} ${m.unit}`, met: check(m.value, t) };
  });
  return [...ratios, ...targets];
}

const fmt = (n: number): string =>
  n >= 1e6
    ? `${(n / 1e6).toFixed(2)}M`
    : n >= 1e4
      ? `${(n / 1e3).toFixed(1)}k`
      : n >= 100
        ? n.toFixed(0)
        : n.toFixed(2);

/** The Markdown report of one scenario: measurements, then ratios and targets with their goals. */
export function toMarkdown(scenario: Scenario, result: ScenarioResult): string {
  const lines = [`### ${scenario.name}`, '', '| measurement | value | unit | ±% |', '|---|---:|---|---:|'];
  for (const m of result.measurements) {
    lines.push(`| ${m.name} | ${fmt(m.value)} | ${m.unit} | ${m.rme === undefined ? '' : m.rme.toFixed(1)} |`);
  }
  const v = verdicts(result);
  if (v.length > 0) {
    lines.push('', '| ratio / target | value | goal | met |', '|---|---:|---|---|');
    for (const x of v) {
      const value = x.goal.endsWith('×') || x.goal === '' ? `${x.value.toFixed(2)}×` : fmt(x.value);
      lines.push(`| ${x.name} | ${value} | ${x.goal} | ${x.met === null ? '' : x.met ? 'yes' : 'NO'} |`);
    }
  }
  for (const note of result.notes ?? []) lines.push('', `> ${note}`);
  return `${lines.join('\n')}\n`;
}
