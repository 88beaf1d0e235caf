import picomatch from 'picomatch';
import type { PolicyConfig } from '#config';
import { loadSignatureKeys, type SignatureKey } from './signatures/signature-keys';

/** One `policies:` entry, ready to apply: globs compiled, keys loaded. */
export interface CompiledPolicy {
  name: string;
  config: PolicyConfig;
  matchesRepository(repository: string): boolean;
  /** The first `denyTags` glob `tag` matches, if any. */
  deniedTagPattern(tag: string): string | undefined;
  keys: SignatureKey[];
}

/** Globs match `/`-separated names: `prod/**` is everything under prod/, `*` one segment. */
const GLOB_OPTIONS = { dot: true } as const;

export function compilePolicy(config: PolicyConfig, index: number): CompiledPolicy {
  const repositories = picomatch(config.repositories, GLOB_OPTIONS);
  const tagGlobs = config.denyTags.map((pattern) => ({ pattern, test: picomatch(pattern, GLOB_OPTIONS) }));
  return {
    name: config.name,
    config,
    matchesRepository: (repository) => repositories(repository),
    deniedTagPattern: (tag) => tagGlobs.find((glob) => glob.test(tag))?.pattern,
    keys: loadSignatureKeys(config.requireSignature?.keys ?? [], index),
  };
}
