import type { ImageCopier } from './copy-contract';
import { RegistryImageCopier } from './copy';

/** The copy engine the workers use. */
export function defaultImageCopier(): ImageCopier {
  return new RegistryImageCopier();
}
