/**
 * The deployed registry's pure parts (issue 13): record encoding and its checks, the operator's edits (deploy,
 * enable/disable for everyone or per tag, weight, rollback), the weighted choice of a version for a caller's
 * tags, and which versions are routable in a membership view.
 */
import { type ClusterMember, createClusterView } from '@lucent/core/internal';
import { describe, expect, it } from 'vitest';
import {
  type ActorVersion,
  activeActorVersion,
  decodeActorRecord,
  deployActorVersion,
  encodeActorRecord,
  rollbackActor,
  setActorEnabled,
} from '../src/registry/actor-record.js';
import { versionsToKeepLoaded } from '../src/registry/deployed-functions.js';
import {
  type DeployedVersion,
  decodeFunctionRecord,
  encodeFunctionRecord,
  type FunctionRecord,
} from '../src/registry/function-record.js';
import { DEFAULT_WEIGHT, deployVersion, rollback, setEnabled, setWeight } from '../src/registry/registry-edits.js';
import { routableVersions } from '../src/registry/registry-follower.js';
import { versionRates } from '../src/registry/registry-stats.js';
import { chooseVersion, eligibleVersions } from '../src/registry/version-choice.js';
import { codeOf } from './error-code.js';

const CHECKSUM = 'a'.repeat(64);
const version = (v: string, extra: Partial<DeployedVersion> = {}): DeployedVersion => ({
  version: v,
  checksum: CHECKSUM,
  export: `quote@${v}`,
  weight: DEFAULT_WEIGHT,
  tags: [],
  enabled: true,
  disabledTags: [],
  shardBy: null,
  handles: [],
  deployedBy: 'ops@host',
  deployedAt: '2026-12-03T10:00:00.000Z',
  ...extra,
});
const recordOf = (...versions: DeployedVersion[]): FunctionRecord => ({ name: 'quote', versions });

describe('function records', () => {
  it('round-trip, sorted by version', () => {
    const record = recordOf(version('10'), version('2'));
    expect(decodeFunctionRecord(encodeFunctionRecord(record)).versions.map((v) => v.version)).toEqual(['2', '10']);
  });

  it('refuse bytes that are not a well-formed record', () => {
    const bad = (value: unknown) => () => decodeFunctionRecord(new TextEncoder().encode(JSON.stringify(value)));
    expect(codeOf(bad({ name: 'quote' }))).toBe('LUCENT_DECODE');
    expect(codeOf(bad(recordOf(version('1', { checksum: 'not-hex' }))))).toBe('LUCENT_DECODE');
    expect(codeOf(bad(recordOf(version('1', { weight: -1 }))))).toBe('LUCENT_DECODE');
    expect(codeOf(() => decodeFunctionRecord(new TextEncoder().encode('{')))).toBe('LUCENT_DECODE');
  });
});

describe('registry edits', () => {
  it('deploy adds a version, the same code again changes nothing, other code under one version is refused', () => {
    const first = deployVersion('quote', undefined, version('1'));
    expect(first.changed).toBe(true);
    expect(deployVersion('quote', first.record, version('1')).changed).toBe(false);
    expect(codeOf(() => deployVersion('quote', first.record, version('1', { checksum: 'b'.repeat(64) })))).toBe(
      'LUCENT_CONFIG',
    );
    expect(deployVersion('quote', first.record, version('2')).record.versions.map((v) => v.version)).toEqual([
      '1',
      '2',
    ]);
  });

  it('enable and disable one version or all, for everyone or per tag', () => {
    const record = recordOf(version('1'), version('2'));
    const off = setEnabled(record, '2', false).record;
    expect(off.versions.map((v) => v.enabled)).toEqual([true, false]);
    const euOff = setEnabled(record, '2', false, ['eu']).record;
    expect(euOff.versions[1]).toMatchObject({ enabled: true, disabledTags: ['eu'] });
    expect(setEnabled(euOff, '2', true, ['eu']).record.versions[1]?.disabledTags).toEqual([]);
    expect(setEnabled(record, undefined, false).record.versions.every((v) => !v.enabled)).toBe(true);
    expect(setEnabled(record, '1', true).changed).toBe(false);
    expect(codeOf(() => setEnabled(record, '9', false))).toBe('LUCENT_UNKNOWN_FUNCTION');
  });

  it('sets a weight, refusing a negative one', () => {
    expect(setWeight(recordOf(version('1')), '1', 5).record.versions[0]?.weight).toBe(5);
    expect(codeOf(() => setWeight(recordOf(version('1')), '1', -1))).toBe('LUCENT_CONFIG');
  });

  it('rolls back: the newest enabled version off, the one before it on, in one record', () => {
    const record = recordOf(
      version('1', { enabled: false, weight: 0 }),
      version('2'),
      version('3', { enabled: false }),
    );
    const back = rollback(record).record;
    expect(back.versions.map((v) => [v.version, v.enabled, v.weight])).toEqual([
      ['1', true, DEFAULT_WEIGHT],
      ['2', false, DEFAULT_WEIGHT],
      ['3', false, DEFAULT_WEIGHT],
    ]);
    expect(codeOf(() => rollback(recordOf(version('1'))))).toBe('LUCENT_CONFIG');
    expect(codeOf(() => rollback(recordOf(version('1', { enabled: false }))))).toBe('LUCENT_CONFIG');
  });
});

describe('version choice', () => {
  const record = recordOf(
    version('1', { weight: 90 }),
    version('2', { weight: 10, disabledTags: ['eu'] }),
    version('3', { tags: ['gpu'] }),
    version('4', { enabled: false }),
  );
  const all = () => true;

  it('keeps versions enabled for the caller: not disabled for its tags, tagged for it or for everyone', () => {
    expect(eligibleVersions(record, []).map((v) => v.version)).toEqual(['1', '2']);
    expect(eligibleVersions(record, ['eu']).map((v) => v.version)).toEqual(['1']);
    expect(eligibleVersions(record, ['gpu']).map((v) => v.version)).toEqual(['1', '2', '3']);
  });

  it('splits by weight over the draw, and only among routable versions', () => {
    let v2 = 0;
    for (let i = 0; i < 1000; i++) if (chooseVersion(record, [], all, i / 1000)?.version === '2') v2++;
    expect(v2).toBe(100);
    expect(chooseVersion(record, [], (v) => v === '1', 0.99)?.version).toBe('1');
    expect(chooseVersion(record, [], () => false, 0.5)).toBeUndefined();
  });
});

describe('routable versions', () => {
  const load = { cpu: 0, memory: 0, activeFunctions: 0, maxFunctions: 1, queueDepth: 0, maxQueue: 1 };
  const member = (id: string, modules: string[]): ClusterMember => ({ id, tags: [], load, modules });

  it('are the versions every node hosting the function has loaded', () => {
    const view = createClusterView([
      member('a', ['fn:quote@1', 'fn:quote@2']),
      member('b', ['fn:quote@1']),
      member('c', ['fn:other@1']),
    ]);
    expect([...routableVersions('quote', view)]).toEqual(['1']);
    expect([...routableVersions('missing', view)]).toEqual([]);
    expect([...routableVersions('quote', undefined)]).toEqual([]);
  });
});

describe('version rates', () => {
  it("sum the nodes' counter differences over the window; a node or version new in the second sample counts from 0", () => {
    const before = [{ node: 'a', counters: [{ ref: 'quote@1', calls: 100, errors: 1 }] }];
    const after = [
      { node: 'a', counters: [{ ref: 'quote@1', calls: 300, errors: 3 }] },
      {
        node: 'b',
        counters: [
          { ref: 'quote@1', calls: 200, errors: 0 },
          { ref: 'quote@2', calls: 0, errors: 0 },
        ],
      },
    ];
    const rates = versionRates(before, after, 2000);
    expect(rates.get('quote@1')).toEqual({ callsPerSecond: 200, errorRate: 0.005 });
    expect(rates.get('quote@2')).toEqual({ callsPerSecond: 0, errorRate: 0 });
  });
});

describe('versions kept loaded', () => {
  it('are the enabled ones and the newest disabled one below the newest enabled (the rollback target)', () => {
    const off = { enabled: false };
    const keep = (r: FunctionRecord) => [...versionsToKeepLoaded(r)].sort();
    expect(keep(recordOf(version('1', off), version('2', off), version('3'), version('4', off)))).toEqual(['2', '3']);
    expect(keep(recordOf(version('1'), version('2', off)))).toEqual(['1']);
    expect(keep(recordOf(version('1'), version('2')))).toEqual(['1', '2']);
    expect(keep(recordOf(version('1', off)))).toEqual([]);
  });
});

describe('actor records', () => {
  const actorVersion = (v: string, enabled = true): ActorVersion => ({
    version: v,
    checksum: CHECKSUM,
    export: 'cart',
    restores: [v],
    tags: [],
    enabled,
    deployedBy: 'ops@host',
    deployedAt: '2026-12-03T10:00:00.000Z',
  });

  it('deploy, round-trip, and make the newest enabled version the active one', () => {
    let record = deployActorVersion('cart', undefined, actorVersion('1')).record;
    record = deployActorVersion('cart', record, actorVersion('2')).record;
    expect(deployActorVersion('cart', record, actorVersion('2')).changed).toBe(false);
    expect(codeOf(() => deployActorVersion('cart', record, { ...actorVersion('2'), export: 'other' }))).toBe(
      'LUCENT_CONFIG',
    );
    expect(decodeActorRecord(encodeActorRecord(record))).toEqual(record);
    expect(activeActorVersion(record)?.version).toBe('2');
    expect(activeActorVersion(setActorEnabled(record, '2', false).record)?.version).toBe('1');
    expect(codeOf(() => setActorEnabled(record, '9', false))).toBe('LUCENT_CONFIG');
  });

  it('roll back: the newest enabled off, the one before on', () => {
    const record = { type: 'cart', versions: [actorVersion('1', false), actorVersion('2')] };
    const back = rollbackActor(record).record;
    expect(back.versions.map((v) => v.enabled)).toEqual([true, false]);
    expect(codeOf(() => rollbackActor(back))).toBe('LUCENT_CONFIG');
    expect(codeOf(() => decodeActorRecord(new TextEncoder().encode('{"type":"cart"}')))).toBe('LUCENT_DECODE');
  });
});
