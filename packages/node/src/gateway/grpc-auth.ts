/**
 * Bearer-token authentication of the gRPC gateway, as a server interceptor: it sees each call's metadata before
 * the handler exists, so a refused call does no work (no request decoded, nothing sent into the cluster).
 *
 * ```
 *  call ─► metadata `authorization: Bearer <token>` ─ accepted ─► handler
 *                                                   └ refused ─► UNAUTHENTICATED, counted (listener="grpc")
 * ```
 * Health checks (`grpc.health.v1.Health`) are exempt: load balancers and orchestrators probe without tokens,
 * and a health answer reveals nothing but readiness.
 */
import { ServerInterceptingCall, type ServerInterceptor, ServerListenerBuilder, status } from '@grpc/grpc-js';
import type { CounterChild } from '../metrics/metric-families.js';
import type { BearerTokens } from './bearer-tokens.js';

/** Path prefix of the calls that need no token. */
const HEALTH_PATH_PREFIX = '/grpc.health.v1.Health/';

/**
 * The interceptor checking `tokens` on every call except health checks; `undefined` when no token is required
 * (nothing to check, so nothing per call). `refused` is incremented per refused call.
 */
export function bearerTokenInterceptor(tokens: BearerTokens, refused: CounterChild): ServerInterceptor | undefined {
  if (!tokens.required) return undefined;
  return (method, call) => {
    if (method.path.startsWith(HEALTH_PATH_PREFIX)) return new ServerInterceptingCall(call);
    const listener = new ServerListenerBuilder()
      .withOnReceiveMetadata((metadata, next) => {
        const header = metadata.get('authorization')[0];
        if (tokens.acceptsHeader(typeof header === 'string' ? header : undefined)) {
          next(metadata);
          return;
        }
        refused.inc();
        call.sendStatus({ code: status.UNAUTHENTICATED, details: 'missing or wrong bearer token' });
      })
      .build();
    return new ServerInterceptingCall(call, { start: (next) => next(listener) });
  };
}
