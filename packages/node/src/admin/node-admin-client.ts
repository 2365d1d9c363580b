/** Asking one node on its admin subject (`admin-service/admin-protocol.ts`), from the CLI or the dashboard. */
import { adminSubject } from '@lucent/core/internal';
import { type AdminRequest, decodeAdminAnswer, encodeAdmin } from '../admin-service/admin-protocol.js';
import type { Transport } from '../transport/transport.js';

/** Default bound of one admin request. */
export const ADMIN_REQUEST_TIMEOUT_MS = 3_000;

/** Sends `request` to node `nodeId`; rejects with the node's error (its `code` kept) or a transport error. */
export async function askNode<T>(
  transport: Transport,
  cluster: string,
  nodeId: string,
  request: AdminRequest,
  timeoutMs = ADMIN_REQUEST_TIMEOUT_MS,
): Promise<T> {
  const reply = await transport.request(
    adminSubject(cluster, nodeId),
    encodeAdmin(request),
    timeoutMs,
    `node ${nodeId} (admin ${request.op})`,
  );
  return decodeAdminAnswer<T>(reply);
}
