import { Transform, type Readable, type TransformCallback } from 'node:stream';

/**
 * Carries a client's chunk to the upstream and counts what it carried. When the client's body
 * breaks off (it went away, or fell idle and was cut), the relay ends cleanly after the bytes
 * that did arrive.
 */
export class ChunkRelay extends Transform {
  bytes = 0;
  /** The source ended before its end: what was relayed is all there will be. */
  brokeOff = false;

  constructor(source: Readable) {
    super();
    const endEarly = (): void => {
      this.brokeOff = true;
      if (!this.writableEnded && !this.destroyed) this.end();
    };
    source.on('error', endEarly);
    source.on('close', () => {
      if (!source.readableEnded) endEarly();
    });
    // A source that failed before the relay was made emits nothing more: waiting would be forever.
    if (source.errored || (source.destroyed && !source.readableEnded)) {
      endEarly();
      return;
    }
    source.pipe(this);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    callback(null, chunk);
  }
}
