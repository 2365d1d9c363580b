/** The intrusive list's append and unlink: ends and links stay consistent whichever entry comes or goes. */
import { describe, expect, it } from 'vitest';
import { appendEntry, type LinkedEnds, type LinkedEntry, unlinkEntry } from '../src/linked-list.js';

interface Entry extends LinkedEntry<Entry> {
  readonly name: string;
}

function listOf(...names: string[]): LinkedEnds<Entry> & { entries: Entry[] } {
  const entries: Entry[] = names.map((name) => ({ name, prev: null, next: null }));
  entries.forEach((entry, i) => {
    entry.prev = entries[i - 1] ?? null;
    entry.next = entries[i + 1] ?? null;
  });
  return { head: entries[0] ?? null, tail: entries.at(-1) ?? null, entries };
}

function namesOf(list: LinkedEnds<Entry>): string[] {
  const forward: string[] = [];
  for (let e = list.head; e !== null; e = e.next) forward.push(e.name);
  const backward: string[] = [];
  for (let e = list.tail; e !== null; e = e.prev) backward.push(e.name);
  expect(backward.reverse()).toEqual(forward);
  return forward;
}

describe('unlinkEntry', () => {
  it.each([
    ['a', ['b', 'c']],
    ['b', ['a', 'c']],
    ['c', ['a', 'b']],
  ])('takes %s out of a, b, c and clears its links', (name, rest) => {
    const list = listOf('a', 'b', 'c');
    const entry = list.entries.find((e) => e.name === name)!;
    unlinkEntry(list, entry);
    expect(namesOf(list)).toEqual(rest);
    expect(entry.prev).toBeNull();
    expect(entry.next).toBeNull();
  });

  it('empties a list of one', () => {
    const list = listOf('only');
    unlinkEntry(list, list.entries[0]!);
    expect(list.head).toBeNull();
    expect(list.tail).toBeNull();
  });
});

describe('appendEntry', () => {
  it('puts entries at the tail of an empty list, then after the last one', () => {
    const list = listOf();
    const a: Entry = { name: 'a', prev: null, next: null };
    const b: Entry = { name: 'b', prev: null, next: null };
    appendEntry(list, a);
    expect(namesOf(list)).toEqual(['a']);
    appendEntry(list, b);
    expect(namesOf(list)).toEqual(['a', 'b']);
    unlinkEntry(list, a);
    appendEntry(list, a);
    expect(namesOf(list)).toEqual(['b', 'a']);
  });
});
