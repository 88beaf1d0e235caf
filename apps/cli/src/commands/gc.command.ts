import type { Command } from 'commander';
import { ConfigError, loadConfig } from '#config';
import type { GcReport } from '#registry';
import { collectLocalBackends, localBackends } from '../../../gateway/src/gc/collect-local-backends';
import { gcOptionsOf, GcUsageError } from '../../../gateway/src/gc/gc-flags';
import { CliError, EXIT } from '../cli-error';
import type { CliContext } from '../cli-context';
import { progressReporter } from '../progress/progress-reporter';

interface GcFlags {
  config?: string;
  dryRun?: boolean;
  verify?: boolean;
  graceSeconds?: string;
}

/**
 * `gantry gc`: what `npm run gc` does, with progress: bars on a terminal; otherwise JSON lines
 * (`"event":"progress"` while marking and sweeping, one `"event":"report"` per backend).
 */
export function registerGcCommand(program: Command, ctx: CliContext): void {
  program
    .command('gc')
    .description('remove manifests and blobs no tag reaches from every type: local backend (safe while the gateway runs)')
    .option('--config <path>', 'the configuration file (default: $GANTRY_CONFIG, else the embedded defaults)')
    .option('--dry-run', 'report what would be removed, remove nothing')
    .option('--verify', 're-hash every blob and remove corrupt ones')
    .option('--grace-seconds <n>', 'keep anything modified in the last N seconds (default 3600)')
    .action(async (flags: GcFlags) => {
      let options;
      let config;
      try {
        options = gcOptionsOf({ 'dry-run': flags.dryRun, verify: flags.verify, 'grace-seconds': flags.graceSeconds });
        config = loadConfig({ file: flags.config ?? (ctx.terminal.env.GANTRY_CONFIG || undefined), env: ctx.terminal.env });
      } catch (err) {
        if (err instanceof GcUsageError || err instanceof ConfigError) throw new CliError(err.message, EXIT.usage);
        throw err;
      }
      if (localBackends(config).length === 0) ctx.terminal.err('gantry gc: no type: local backend in this configuration: nothing to collect\n');
      const reporter = progressReporter(ctx.terminal);
      let ok: boolean;
      try {
        ok = await collectLocalBackends(config, options, (event) => {
          if (event.event === 'progress') {
            const noun = event.phase === 'mark' ? 'repositories' : 'blobs';
            reporter.progress(event.backend, { label: `${event.backend} ${event.phase}`, done: event.done, total: event.total, detail: `${event.done}/${event.total} ${noun}` }, event);
          } else if (event.event === 'report') {
            reporter.result(event, summary(event.backend, event));
          } else {
            reporter.result(event, `${event.backend}: failed: ${event.error}`);
          }
        });
      } finally {
        reporter.stop();
      }
      if (!ok) throw new CliError('a backend failed (see its line above)');
    });
}

function summary(backend: string, report: GcReport): string {
  const verb = report.dryRun ? 'would remove' : 'removed';
  const corrupt = report.corrupt.length > 0 ? `, ${report.corrupt.length} corrupt` : '';
  return `${backend}: ${verb} ${report.manifestsDeleted.length} manifests and ${report.blobsDeleted.length} blobs${corrupt}, ${megabytes(report.bytesFreed)} (kept ${report.manifestsMarked} manifests, ${report.blobsMarked} blobs in ${report.repositories} repositories)`;
}

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}
