import { replySubject } from '@lucent/core/internal';
import { describe, expect, it } from 'vitest';
import { newConnectionId } from '../src/transport/connection-id.js';

describe('newConnectionId', () => {
  it('makes distinct ids that are single subject tokens', () => {
    const ids = new Set(Array.from({ length: 1000 }, newConnectionId));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(() => replySubject('c', id)).not.toThrow();
  });
});
