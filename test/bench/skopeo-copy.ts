import { spawn } from 'node:child_process';
import { rssOf } from '../support/rss';
import { tempDir } from '../support/temp';
import { requireTool } from '../support/tools';

export interface TimedCopy {
  seconds: number;
  /** Peak RSS of the process that copied, in bytes. */
  peakRss: number;
}

/** `skopeo copy` of `repository:tag` between two plain-HTTP registries, with no ambient credentials: its wall time and peak RSS. */
export async function skopeoCopy(sourceHost: string, destinationHost: string, repository: string, tag: string): Promise<TimedCopy> {
  const home = tempDir('skopeo-home');
  try {
    const started = performance.now();
    const child = spawn(requireTool('skopeo'), [
      'copy', '--src-tls-verify=false', '--dest-tls-verify=false',
      `docker://${sourceHost}/${repository}:${tag}`, `docker://${destinationHost}/${repository}:${tag}`,
    ], { env: { ...process.env, HOME: home.path, XDG_RUNTIME_DIR: home.path }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const done = new Promise<void>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`skopeo copy failed (${code}): ${stderr}`))));
    });
    const peakRss = await peakRssUntilExit(child.pid!, done);
    return { seconds: (performance.now() - started) / 1000, peakRss };
  } finally {
    home.remove();
  }
}

/** Samples a child's RSS every 50 ms until it exits (peakRssDuring reads it once more after the work, when it is gone). */
async function peakRssUntilExit(pid: number, done: Promise<void>): Promise<number> {
  let peak = 0;
  const sample = (): void => {
    try {
      peak = Math.max(peak, rssOf(pid));
    } catch {
      // Exited between two samples.
    }
  };
  sample();
  const timer = setInterval(sample, 50);
  try {
    await done;
    return peak;
  } finally {
    clearInterval(timer);
  }
}
