import assert from 'node:assert/strict';

/** One sample of the Prometheus text format: its name, labels and value. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Parses the text exposition format (comments skipped). */
export function parsePrometheusText(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = SAMPLE.exec(line);
    assert.ok(m, `not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL)) labels[l[1]!] = l[2]!.replace(/\\(.)/g, '$1');
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return samples;
}

/** A scrape, asked for the value of one series (0 when absent: a counter not yet incremented). */
export class Scrape {
  constructor(readonly samples: Sample[]) {}

  static async of(baseUrl: string, init: RequestInit = {}): Promise<Scrape> {
    const res = await fetch(`${baseUrl}/metrics`, init);
    assert.equal(res.status, 200, `GET /metrics: ${res.status}`);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    return new Scrape(parsePrometheusText(await res.text()));
  }

  value(name: string, labels: Record<string, string>): number {
    const found = this.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
    return found.reduce((sum, s) => sum + s.value, 0);
  }

  /** How much a series grew from `before` to this scrape. */
  delta(before: Scrape, name: string, labels: Record<string, string>): number {
    return this.value(name, labels) - before.value(name, labels);
  }
}
