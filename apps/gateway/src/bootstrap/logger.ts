import pino, { type DestinationStream, type Logger } from 'pino';
import type { LoggerService } from '@nestjs/common';
import { LogDestination } from './log-destination';

/** Headers and fields that may hold credentials never reach a log line. */
const REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'authorization',
  'password',
  'token',
  '*.password',
  '*.token',
  '*.secretAccessKey',
  '*.clientSecret',
];

/**
 * The gateway's logger; it writes to stdout unless given another `destination` (specs), through
 * a LogDestination whose last lines are written before the process exits.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = { level, redact: { paths: REDACT, censor: '[redacted]' }, base: { service: 'gantry' } };
  if (destination) return pino(options, destination);
  let logger: Logger | undefined = undefined;
  const stdout = new LogDestination(1, {
    onDropped: (count) => logger?.warn({ dropped: count }, `${count} log lines were dropped: stdout could not keep up`),
  });
  process.once('exit', () => stdout.flushSync());
  logger = pino(options, stdout);
  return logger;
}

/** Nest's own messages, as structured lines of the same logger. */
export class NestPinoLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}
  log(message: unknown, context?: string): void {
    this.logger.debug({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string): void {
    this.logger.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string): void {
    this.logger.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string): void {
    this.logger.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string): void {
    this.logger.trace({ context }, String(message));
  }
}
