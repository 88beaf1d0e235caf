import type { ImageCopier } from './copy-contract';

/** The copy engine the workers use (the engine lands from its own branch). */
export function defaultImageCopier(): ImageCopier {
  return {
    copy: () => Promise.reject(new Error('the copy engine is not built into this version')),
  };
}
