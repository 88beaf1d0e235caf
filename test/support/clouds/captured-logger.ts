import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';

export interface CapturedLogger {
  logger: Logger;
  /** Everything logged so far, one JSON line per entry. */
  text(): string;
}

/** A real pino logger at `trace` whose output a test can grep (for leaked secrets, say). */
export function captureLogger(): CapturedLogger {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString('utf8'));
      callback();
    },
  });
  const logger = pino({ level: 'trace' }, sink);
  return { logger, text: () => chunks.join('') };
}
