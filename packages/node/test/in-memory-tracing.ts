/**
 * An OpenTelemetry SDK for tests: spans kept in memory (InMemorySpanExporter, exported as each ends) and an
 * AsyncLocalStorage context manager, so `startActiveSpan` in a test is the parent of the client's spans.
 * Register in `beforeAll`, `unregister` in `afterAll` (the API's globals outlive a test file in its worker).
 */
import { context, type SpanContext, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';

export class InMemoryTracing {
  readonly exporter = new InMemorySpanExporter();
  readonly provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(this.exporter)] });
  readonly #contextManager = new AsyncLocalStorageContextManager();

  register(): void {
    context.setGlobalContextManager(this.#contextManager.enable());
    trace.setGlobalTracerProvider(this.provider);
  }

  async unregister(): Promise<void> {
    trace.disable();
    context.disable();
    await this.provider.shutdown();
  }

  /** Ended spans so far. */
  get spans(): ReadableSpan[] {
    return this.exporter.getFinishedSpans();
  }

  /** The ended span named `name`; throws when there is not exactly one. */
  span(name: string): ReadableSpan {
    const found = this.spans.filter((span) => span.name === name);
    if (found.length !== 1) {
      throw new Error(`${found.length} spans named '${name}' (ended: ${this.spans.map((s) => s.name).join(', ')})`);
    }
    return found[0] as ReadableSpan;
  }

  reset(): void {
    this.exporter.reset();
  }
}

/** The `traceparent` a span context has on the wire (sampled). */
export function traceparentOfContext(spanContext: SpanContext): string {
  return `00-${spanContext.traceId}-${spanContext.spanId}-01`;
}
