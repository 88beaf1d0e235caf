/** The bench's sections, by the letters its tables and the README use. */
export const SECTIONS = {
  a: 'gateway → distribution vs distribution direct',
  b: 'gateway → local store vs distribution direct',
  c: 'parallel blob pulls (nginx, bare Node relays)',
  d: 'warm cached manifests',
  blob: 'cached blob from the disk cache vs a static file server',
  e: 'bearer token reused vs no auth',
  f: 'replication: a worker vs skopeo copy',
  g: 'metrics on vs off',
} as const;

export type Section = keyof typeof SECTIONS;

/**
 * The sections to run: `BENCH_SECTIONS=f` or `BENCH_SECTIONS=a,b,blob`; absent or empty, all.
 * An unknown name stops the bench (a typo would otherwise measure nothing, quietly).
 */
export function selectedSections(value = process.env.BENCH_SECTIONS): ReadonlySet<Section> {
  const names = (value ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (names.length === 0) return new Set(Object.keys(SECTIONS) as Section[]);
  const unknown = names.filter((n) => !(n in SECTIONS));
  if (unknown.length > 0) {
    throw new Error(`BENCH_SECTIONS: unknown section ${unknown.join(', ')}; known: ${Object.keys(SECTIONS).join(', ')}`);
  }
  return new Set(names as Section[]);
}
