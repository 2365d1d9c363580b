/**
 * Connection ids: the `<conn>` token of a connection's reply subject (`replySubject` in `@lucent/core`). Kept in
 * node because it needs `node:crypto`; the subject names themselves are pure and live in core.
 */
import { randomBytes } from 'node:crypto';

/** A fresh connection id: 96 random bits as 16 base64url characters, unique without coordination. */
export function newConnectionId(): string {
  return randomBytes(12).toString('base64url');
}
