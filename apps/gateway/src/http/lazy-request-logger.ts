import type { FastifyBaseLogger } from 'fastify';
import type { Bindings, ChildLoggerOptions } from 'pino';

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
type LogMethod = (...args: unknown[]) => void;

/**
 * `request.log` made when a request first logs through it, not for every request. Fastify gives
 * each request a child logger bound to its id, and pino builds one by walking the redaction paths
 * over its bindings: about 5% of a cached manifest's cost, for a logger Gantry uses only on rare
 * failures (access lines have their own). The child, once made, is the parent's, redaction and all.
 * Its level methods are on the prototype (below), so a request costs one small object.
 */
class LazyRequestLogger {
  made: FastifyBaseLogger | undefined;

  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {}

  get level(): string {
    return this.made?.level ?? this.options.level ?? this.parent.level;
  }

  set level(level: string) {
    this.logger().level = level;
  }

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.logger().child(bindings, options);
  }

  logger(): FastifyBaseLogger {
    this.made ??= this.parent.child(this.bindings, this.options);
    return this.made;
  }
}

const prototype = LazyRequestLogger.prototype as unknown as Record<(typeof LEVELS)[number], LogMethod>;
for (const level of LEVELS) {
  prototype[level] = function (this: LazyRequestLogger, ...args: unknown[]): void {
    const logger = this.logger();
    (logger[level] as LogMethod).apply(logger, args);
  };
}

/** Fastify's `childLoggerFactory`: each request's logger, made on first use. */
export function lazyRequestLogger(logger: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions): FastifyBaseLogger {
  return new LazyRequestLogger(logger, bindings, options) as unknown as FastifyBaseLogger;
}
