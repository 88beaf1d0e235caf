/** `--config path` wins over `GANTRY_CONFIG`; neither means the embedded defaults. */
export function configPathFrom(argv: readonly string[], env: NodeJS.ProcessEnv): string | undefined {
  const i = argv.indexOf('--config');
  if (i >= 0) {
    const value = argv[i + 1];
    if (!value) throw new Error('--config needs a path');
    return value;
  }
  const inline = argv.find((a) => a.startsWith('--config='));
  if (inline) return inline.slice('--config='.length);
  return env.GANTRY_CONFIG || undefined;
}
