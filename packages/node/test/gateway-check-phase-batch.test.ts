/** `CheckPhaseBatch`: what is submitted in one loop turn starts together in its check phase, in order. */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { CheckPhaseBatch } from '../src/gateway/check-phase-batch.js';

describe('CheckPhaseBatch', () => {
  it('starts nothing before the check phase, then every item of the turn at once, in submission order', async () => {
    const started: number[] = [];
    const batch = new CheckPhaseBatch(async (n: number) => {
      started.push(n);
      return n * 10;
    });
    const answers = [batch.submit(1), batch.submit(2), batch.submit(3)];
    await Promise.resolve();
    expect(started).toEqual([]);
    expect(await Promise.all(answers)).toEqual([10, 20, 30]);
    expect(started).toEqual([1, 2, 3]);
    // A later turn is a new batch.
    expect(await batch.submit(4)).toBe(40);
    expect(started).toEqual([1, 2, 3, 4]);
  });

  it('runs the items of one turn synchronously one after the other, so their writes share a flush', async () => {
    let turn = 0;
    const turns: number[] = [];
    const batch = new CheckPhaseBatch(async () => {
      turns.push(turn);
    });
    const answers = [batch.submit(undefined), batch.submit(undefined)];
    void nextTurn().then(() => {
      turn = 1;
    });
    await Promise.all(answers);
    expect(turns).toEqual([0, 0]);
  });

  it('rejects only the item whose run threw or rejected', async () => {
    const batch = new CheckPhaseBatch((n: number) => {
      if (n === 1) throw new RangeError('sync');
      if (n === 2) return Promise.reject(new TypeError('async'));
      return Promise.resolve(n);
    });
    const [one, two, three] = [batch.submit(1), batch.submit(2), batch.submit(3)];
    await expect(one).rejects.toThrow(RangeError);
    await expect(two).rejects.toThrow(TypeError);
    await expect(three).resolves.toBe(3);
  });
});
