/**
 * The system clock plus whatever a test has moved it on by: hand it to a backend, then `advance`
 * past a token's expiry or a "just fetched" window instead of sleeping through it.
 */
export class TestClock {
  private offset = 0;

  readonly now = (): number => Date.now() + this.offset;

  advance(ms: number): void {
    this.offset += ms;
  }
}
