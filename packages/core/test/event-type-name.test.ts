/** Dotted event types and their event type names: identity on names, reversible, collision-free, and `handles`. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defineFunction } from '../src/definition.js';
import { eventEnvelope } from '../src/envelope.js';
import { ConfigError } from '../src/errors.js';
import { dottedEventType, eventTypeName, eventTypeProblem } from '../src/placement/event-type-name.js';

/** Dot-separated parts as the rule allows them: letters, digits, '-', single inner '_'. */
const part = fc
  .array(fc.stringMatching(/^[a-zA-Z0-9-]{1,6}$/), { minLength: 1, maxLength: 3 })
  .map((pieces) => pieces.join('_'));
const dotted = fc
  .tuple(fc.stringMatching(/^[a-z]{1,4}$/), fc.array(part, { minLength: 1, maxLength: 4 }))
  .map(([first, rest]) => [first, ...rest].join('.'));

describe('eventTypeName / dottedEventType', () => {
  it('leaves a name without dots as it is', () => {
    for (const name of ['OrderPlaced', 'tallyCompleted', '_internal', 'a-b_c']) {
      expect(eventTypeName(name)).toBe(name);
      expect(dottedEventType(name)).toBe(name);
    }
  });

  it('writes each dot as __ and reads it back', () => {
    expect(eventTypeName('com.example.order.created')).toBe('com__example__order__created');
    expect(dottedEventType('com__example__order__created')).toBe('com.example.order.created');
    expect(eventTypeName('io.github.pull_request.opened-v2')).toBe('io__github__pull_request__opened-v2');
  });

  it('round-trips every dotted type, and two different types never share a name', () => {
    fc.assert(
      fc.property(dotted, dotted, (a, b) => {
        expect(eventTypeProblem(a)).toBeUndefined();
        expect(dottedEventType(eventTypeName(a))).toBe(a);
        if (a !== b) expect(eventTypeName(a)).not.toBe(eventTypeName(b));
      }),
    );
  });

  it.each(['a..b', '.a', 'a.', 'a_.b', 'a._b', 'a.b__c', '1a.b', 'a.b c', 'a.*', `a.${'b'.repeat(130)}`, ''])(
    "refuses '%s' with ConfigError",
    (type) => {
      expect(eventTypeProblem(type)).toBeDefined();
      expect(() => eventTypeName(type)).toThrow(ConfigError);
    },
  );

  it('stores a dotted event under its name, so every path sees one spelling', () => {
    expect(eventEnvelope('com.example.created', 1).target).toBe('com__example__created');
    expect(eventEnvelope('a..b', 1).target).toBe('a..b');
  });

  it('lets a function handle a dotted type, under its name', () => {
    const ship = defineFunction({ name: 'ship', handles: ['com.example.created', 'com__example__created'] }, () => 1);
    expect(ship.handles).toEqual(['com__example__created']);
    expect(() => defineFunction({ name: 'bad', handles: 'com..x' }, () => 1)).toThrow(ConfigError);
  });
});
