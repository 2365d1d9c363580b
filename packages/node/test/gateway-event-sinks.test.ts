/** `--event-sink` entries: parsing, which types a pattern takes, and the consumer each sink reads through. */
import { describe, expect, it } from 'vitest';
import {
  matchesSinkPattern,
  parseEventSinks,
  sinkConsumerName,
  sinkFilterSubject,
} from '../src/gateway/event-sink-routes.js';
import { codeOf } from './error-code.js';

describe('parseEventSinks', () => {
  it('reads pattern=url entries in order, the URL may hold its own = signs', () => {
    const routes = parseEventSinks([
      'OrderPlaced=https://hooks.example/o?a=b',
      'tally*=http://127.0.0.1:9/t',
      '*=http://x/',
    ]);
    expect(routes.map((route) => [route.pattern, route.url])).toEqual([
      ['OrderPlaced', 'https://hooks.example/o?a=b'],
      ['tally*', 'http://127.0.0.1:9/t'],
      ['*', 'http://x/'],
    ]);
  });

  it.each([
    ['no =', 'http://x/'],
    ['empty pattern', '=http://x/'],
    ['a dotted type with an empty part', 'com..example=http://x/'],
    ['a * inside', 'a*b=http://x/'],
    ['not http', 'A=ftp://x/'],
    ['not a URL', 'A=x'],
  ])('refuses %s with ConfigError field eventSink', (_what, entry) => {
    expect(codeOf(() => parseEventSinks([entry]))).toBe('LUCENT_CONFIG');
  });

  it('takes dotted types and prefixes as the event type names they match', () => {
    const [exact, prefix] = parseEventSinks(['com.example.created=http://x/', 'com.example.*=http://x/']);
    expect(exact?.pattern).toBe('com__example__created');
    expect(prefix?.pattern).toBe('com__example__*');
    expect(matchesSinkPattern(prefix?.pattern ?? '', 'com__example__created')).toBe(true);
    expect(matchesSinkPattern(prefix?.pattern ?? '', 'comexample')).toBe(false);
  });

  it('logs a URL without its credentials or query', () => {
    const [route] = parseEventSinks(['A=https://user:secret@hooks.example/in?token=s3cret']);
    expect(route?.logUrl).toBe('https://hooks.example/in');
  });

  it('refuses the same sink twice, but takes one pattern to two URLs', () => {
    expect(codeOf(() => parseEventSinks(['A=http://x/', 'A=http://x/']))).toBe('LUCENT_CONFIG');
    expect(parseEventSinks(['A=http://x/', 'A=http://y/'])).toHaveLength(2);
  });
});

describe('matchesSinkPattern', () => {
  it('takes an exact type, a prefix with *, and everything with *', () => {
    expect(matchesSinkPattern('OrderPlaced', 'OrderPlaced')).toBe(true);
    expect(matchesSinkPattern('OrderPlaced', 'OrderPlacedLate')).toBe(false);
    expect(matchesSinkPattern('tally*', 'tallyCompleted')).toBe(true);
    expect(matchesSinkPattern('tally*', 'tally')).toBe(true);
    expect(matchesSinkPattern('tally*', 'Tally')).toBe(false);
    expect(matchesSinkPattern('*', 'anything')).toBe(true);
  });
});

describe('sink consumers', () => {
  it('filter on the type subject when exact, on every event otherwise', () => {
    expect(sinkFilterSubject('c', 'OrderPlaced')).toBe('lucent.c.events.OrderPlaced');
    expect(sinkFilterSubject('c', 'Order*')).toBe('lucent.c.events.>');
    expect(sinkFilterSubject('c', '*')).toBe('lucent.c.events.>');
  });

  it('are named after the pattern, distinct per URL, and valid subject tokens', () => {
    const a = sinkConsumerName('tally*', 'http://a/');
    expect(a).toMatch(/^sink--tally_any--[0-9a-f]{8}$/);
    expect(sinkConsumerName('tally*', 'http://b/')).not.toBe(a);
    expect(sinkConsumerName('*', 'http://a/')).toMatch(/^[A-Za-z0-9_-]+$/);
  });
});
