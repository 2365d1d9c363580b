/**
 * Reading an HTTP request body up to a size limit. A declared `content-length` over the limit is refused before
 * any byte is read; a body that grows past it while streaming (chunked) stops being read at the limit. Either way
 * the caller answers 413 and closes the connection, so an oversized body is never buffered.
 */
import type { IncomingMessage } from 'node:http';

/**
 * The body, or `undefined` when it is over `limitBytes` (declared or read). Rejects when the request errors or the
 * client goes away before the end of the body.
 */
export function readLimitedBody(req: IncomingMessage, limitBytes: number): Promise<Buffer | undefined> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limitBytes) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    let settled = false;
    const onData = (chunk: Buffer): void => {
      length += chunk.byteLength;
      if (length > limitBytes) {
        settled = true;
        req.off('data', onData);
        req.pause();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => {
      settled = true;
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, length));
    });
    req.once('error', reject);
    // 'close' comes after every request; only before the end does it mean the client went away ('end' never
    // comes then). The error is built only in that case: a stack per request was a measurable cost.
    req.once('close', () => {
      if (!settled) reject(new Error('the client closed the request before its end'));
    });
  });
}
