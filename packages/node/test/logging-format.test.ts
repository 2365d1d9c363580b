import { describe, expect, it } from 'vitest';
import { resolveLogFormat } from '../src/logging.js';

describe('resolveLogFormat', () => {
  it('is pretty on a terminal and JSON otherwise by default, and what was asked for when given', () => {
    expect(resolveLogFormat('auto', true)).toBe('pretty');
    expect(resolveLogFormat('auto', false)).toBe('json');
    expect(resolveLogFormat('json', true)).toBe('json');
    expect(resolveLogFormat('pretty', false)).toBe('pretty');
  });
});
