/**
 * In-process request coalescing: while a load for a key is running, every other caller for the
 * same key waits for that one load instead of starting its own (one upstream call).
 */
export class InFlight {
  private readonly running = new Map<string, Promise<unknown>>();

  run<T>(key: string, load: () => Promise<T>): Promise<T> {
    const current = this.running.get(key);
    if (current) return current as Promise<T>;
    const started = (async () => {
      try {
        return await load();
      } finally {
        this.running.delete(key);
      }
    })();
    this.running.set(key, started);
    return started;
  }

  get size(): number {
    return this.running.size;
  }
}
