/**
 * What a function asks of the node that runs it: a CPU class, a memory limit per worker, a scheduling
 * priority and a run-time limit. Specs are written by people (`{ cpu: 'high', memory: '512MB' }`) and resolved
 * once, at definition time, into {@link Resources}: plain numbers and closed-set strings the pool and the
 * load scorer read without parsing.
 *
 * Memory units are binary throughout: `KB` = `KiB` = 1024 bytes, `MB` = `MiB` = 2^20, `GB` = `GiB` = 2^30.
 * That is what V8 means by megabytes (`--max-old-space-size`, `resourceLimits.maxOldGenerationSizeMb`), so
 * `'256MB'` maps exactly to a 256 MB worker heap limit.
 */

import { ConfigError } from './errors.js';

/** CPU classes, lightest first; the index is the class's rank. */
export const CPU_CLASSES = ['low', 'medium', 'high', 'critical'] as const;
/** How much CPU one call of a function needs, relative to others. */
export type CpuClass = (typeof CPU_CLASSES)[number];

/** Scheduling priorities, lowest first; the index is the priority's rank. */
export const PRIORITIES = ['low', 'normal', 'high', 'critical'] as const;
/** How urgently calls of a function are scheduled when a node is busy. */
export type Priority = (typeof PRIORITIES)[number];

/** Memory units accepted in a {@link MemorySpec}; see the module doc for their (binary) values. */
export type MemoryUnit = 'B' | 'KB' | 'MB' | 'GB' | 'KiB' | 'MiB' | 'GiB';

/** A memory size: a byte count, or a number with a unit (`'256MB'`, `'1.5 GiB'`). Units are case-insensitive. */
export type MemorySpec = number | `${number}${MemoryUnit}` | `${number} ${MemoryUnit}`;

/** Resource needs as written in a definition; every field is optional (defaults in {@link DEFAULT_RESOURCES}). */
export interface ResourceSpec {
  readonly cpu?: CpuClass;
  readonly memory?: MemorySpec;
  readonly priority?: Priority;
  /** Longest one call may run, in ms; `0` means no limit of its own (the caller's deadline still applies). */
  readonly timeoutMs?: number;
  /**
   * Most calls of the function running at once on one node (a positive integer); further calls wait in the
   * node's bounded pool queue. Default: no limit of its own.
   */
  readonly maxConcurrency?: number;
}

/** Resolved resource needs: what the pool and the scorer read. */
export interface Resources {
  readonly cpu: CpuClass;
  /** Worker memory limit in bytes; `0` means none declared (the function runs in the default pool). */
  readonly memoryBytes: number;
  readonly priority: Priority;
  /** Longest one call may run, in ms; `0` means no limit of its own. */
  readonly timeoutMs: number;
  /** Most calls running at once per node; `0` means no limit of its own. */
  readonly maxConcurrency: number;
}

/** Defaults for fields a {@link ResourceSpec} leaves out. Frozen. */
export const DEFAULT_RESOURCES: Resources = Object.freeze({
  cpu: 'medium',
  memoryBytes: 0,
  priority: 'normal',
  timeoutMs: 30_000,
  maxConcurrency: 0,
});

const UNIT_BYTES: Readonly<Record<string, number>> = {
  b: 1,
  kb: 1024,
  kib: 1024,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
};

// A decimal number (no sign, no exponent), optional spaces, then a unit.
const MEMORY_PATTERN = /^(\d+(?:\.\d+)?|\.\d+)\s*([a-z]+)$/i;

/**
 * Parses a memory size to whole bytes (fractions round down), or `undefined` when it is not a positive,
 * finite size with a known unit. Never throws. A plain number is taken as bytes.
 */
export function parseMemoryBytes(spec: unknown): number | undefined {
  let bytes: number;
  if (typeof spec === 'number') {
    bytes = spec;
  } else if (typeof spec === 'string') {
    const match = MEMORY_PATTERN.exec(spec.trim());
    const unit = match === null ? undefined : UNIT_BYTES[match[2]!.toLowerCase()];
    if (match === null || unit === undefined) return undefined;
    bytes = Number(match[1]) * unit;
  } else {
    return undefined;
  }
  bytes = Math.floor(bytes);
  return Number.isSafeInteger(bytes) && bytes > 0 ? bytes : undefined;
}

const SPEC_KEYS: ReadonlySet<string> = new Set(['cpu', 'memory', 'priority', 'timeoutMs', 'maxConcurrency']);

/**
 * Resolves a resource spec, filling defaults. Throws {@link ConfigError} (details `subject`, `field` such as
 * `resources.cpu`) for an unknown CPU class or priority, an unparsable memory size, a negative, infinite or NaN
 * timeout, a `maxConcurrency` that is not a whole number, or an unknown key (a typo would otherwise be silently ignored). Pure; returns a frozen object.
 */
export function resolveResources(spec: ResourceSpec | undefined, subject: string): Resources {
  if (spec === undefined) return DEFAULT_RESOURCES;
  if (typeof spec !== 'object' || spec === null) {
    throw new ConfigError({ subject, field: 'resources', reason: 'must be an object' });
  }
  for (const key of Object.keys(spec)) {
    if (!SPEC_KEYS.has(key)) throw new ConfigError({ subject, field: `resources.${key}`, reason: 'unknown field' });
  }
  const cpu = spec.cpu ?? DEFAULT_RESOURCES.cpu;
  if (!(CPU_CLASSES as readonly unknown[]).includes(cpu)) {
    throw new ConfigError({ subject, field: 'resources.cpu', reason: `expected one of ${CPU_CLASSES.join(', ')}` });
  }
  const priority = spec.priority ?? DEFAULT_RESOURCES.priority;
  if (!(PRIORITIES as readonly unknown[]).includes(priority)) {
    throw new ConfigError({
      subject,
      field: 'resources.priority',
      reason: `expected one of ${PRIORITIES.join(', ')}`,
    });
  }
  let memoryBytes = DEFAULT_RESOURCES.memoryBytes;
  if (spec.memory !== undefined) {
    const parsed = parseMemoryBytes(spec.memory);
    if (parsed === undefined) {
      throw new ConfigError({
        subject,
        field: 'resources.memory',
        reason: `expected a positive size such as '256MB' (units B, KB, MB, GB, KiB, MiB, GiB)`,
      });
    }
    memoryBytes = parsed;
  }
  const timeoutMs = spec.timeoutMs ?? DEFAULT_RESOURCES.timeoutMs;
  if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs < 0) {
    throw new ConfigError({ subject, field: 'resources.timeoutMs', reason: 'expected a finite number >= 0' });
  }
  const maxConcurrency = spec.maxConcurrency ?? DEFAULT_RESOURCES.maxConcurrency;
  if (typeof maxConcurrency !== 'number' || !Number.isSafeInteger(maxConcurrency) || maxConcurrency < 0) {
    throw new ConfigError({ subject, field: 'resources.maxConcurrency', reason: 'expected a positive integer' });
  }
  return Object.freeze({ cpu, memoryBytes, priority, timeoutMs, maxConcurrency });
}
