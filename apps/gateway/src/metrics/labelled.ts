/**
 * prom-client hashes the label values on every `inc`/`observe`. On the request path the same few
 * combinations repeat, so each metric keeps its children by a joined key and looks them up once.
 */
export class Children<T> {
  private readonly byKey = new Map<string, T>();

  constructor(private readonly create: (values: string[]) => T) {}

  get(...values: string[]): T {
    const key = values.join('\u0000');
    let child = this.byKey.get(key);
    if (child === undefined) {
      child = this.create(values);
      this.byKey.set(key, child);
    }
    return child;
  }
}

/** `2xx`, `4xx`…: the status class keeps the label set small. */
export function statusClass(status: number): string {
  return status >= 100 && status < 600 ? `${Math.floor(status / 100)}xx` : 'other';
}

const METHODS = new Set(['GET', 'HEAD', 'PUT', 'POST', 'PATCH', 'DELETE', 'OPTIONS']);

/** A client may send any method token: only the known ones become label values. */
export function methodLabel(method: string): string {
  return METHODS.has(method) ? method : 'other';
}
