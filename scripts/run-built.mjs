// `pnpm demo` / `pnpm demo:core`: builds (tsc -b, printing each project as it is built, which is most of the
// time of a first run), then runs the given script, and prints how long each part took.
//   node scripts/run-built.mjs <script.js> [args...]
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';

const [script, ...args] = process.argv.slice(2);
if (script === undefined) {
  process.stderr.write('usage: node scripts/run-built.mjs <script.js> [args...]\n');
  process.exit(2);
}
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

/** Runs `node <argv>`, output passed through (or filtered), and resolves with its exit code. */
function run(argv, filter) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, argv, { stdio: ['inherit', filter ? 'pipe' : 'inherit', 'inherit'] });
    if (filter) {
      let partial = '';
      child.stdout.on('data', (chunk) => {
        const lines = (partial + chunk.toString('utf8')).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) filter(line);
      });
      child.stdout.on('end', () => partial && filter(partial));
    }
    for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

const start = performance.now();
process.stdout.write('building (tsc -b) …\n');
// `--verbose` lists every project; the lines that say one is being built are the progress worth showing.
const built = await run([tsc, '-b', '--verbose'], (line) => {
  const building = /Building project '([^']+)'/.exec(line);
  if (building) process.stdout.write(`  building ${building[1].replace(`${process.cwd()}/`, '')}\n`);
  else if (/error TS\d+/.test(line)) process.stdout.write(`${line}\n`);
});
const buildMs = performance.now() - start;
if (built !== 0) {
  process.stdout.write(`build failed after ${seconds(buildMs)}\n`);
  process.exit(built);
}
process.stdout.write(`built in ${seconds(buildMs)}; running ${script}\n`);
const code = await run([script, ...args]);
process.stdout.write(`total ${seconds(performance.now() - start)} (build ${seconds(buildMs)})\n`);
process.exit(code);
