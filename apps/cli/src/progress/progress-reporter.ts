import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import type { Terminal } from '../terminal';

/** One bar's state: `done` of `total` (the bar), `label` before it, `detail` after it. */
export interface BarState {
  label: string;
  done: number;
  total: number;
  detail: string;
}

/**
 * Shows long work (gc, replicate) as it goes: bars on stderr when stdout is a terminal, else one
 * JSON line per event on stdout (progress lines thinned to whole-percent steps per bar).
 */
export interface ProgressReporter {
  /** `key` names one bar (a backend, a job); `event` is the JSON line for scripts. */
  progress(key: string, bar: BarState, event: object): void;
  /** A result: a JSON line, or (on a terminal) `text` once the bars are out of the way. */
  result(event: object, text: string): void;
  stop(): void;
}

export function progressReporter(terminal: Terminal): ProgressReporter {
  return terminal.interactive ? new BarReporter(terminal) : new JsonLinesReporter(terminal);
}

class JsonLinesReporter implements ProgressReporter {
  private readonly lastStep = new Map<string, string>();

  constructor(private readonly terminal: Terminal) {}

  progress(key: string, bar: BarState, event: object): void {
    // A step per label and whole percent: a store of a million blobs prints ~100 lines, not a million.
    const step = `${bar.label}:${bar.total === 0 ? 100 : Math.floor((100 * bar.done) / bar.total)}`;
    if (this.lastStep.get(key) === step) return;
    this.lastStep.set(key, step);
    this.terminal.out(`${JSON.stringify(event)}\n`);
  }

  result(event: object): void {
    this.terminal.out(`${JSON.stringify(event)}\n`);
  }

  stop(): void {}
}

class BarReporter implements ProgressReporter {
  private readonly bars = new Map<string, SingleBar>();
  private readonly multi: MultiBar;
  private readonly results: string[] = [];

  constructor(private readonly terminal: Terminal) {
    this.multi = new MultiBar(
      { stream: process.stderr, format: '{label} |{bar}| {percentage}% {detail}', hideCursor: true, clearOnComplete: false, autopadding: true },
      Presets.shades_classic,
    );
  }

  progress(key: string, bar: BarState): void {
    const payload = { label: bar.label, detail: bar.detail };
    const existing = this.bars.get(key);
    if (!existing) {
      this.bars.set(key, this.multi.create(bar.total, bar.done, payload));
      return;
    }
    existing.setTotal(bar.total);
    existing.update(bar.done, payload);
  }

  result(_event: object, text: string): void {
    // Printed under the bars once they stop: stdout between redraws would tear them.
    if (this.bars.size === 0) this.terminal.out(`${text}\n`);
    else this.results.push(text);
  }

  stop(): void {
    this.multi.stop();
    for (const text of this.results) this.terminal.out(`${text}\n`);
  }
}
