import picomatch from 'picomatch';
import semver from 'semver';
import type { ReplicationRuleConfig } from '#config';

export type TagFilterConfig = ReplicationRuleConfig['source']['tags'];

/** Whether a rule copies a tag: every filter given must pass, and no exclude glob may match. */
export type TagFilter = (tag: string) => boolean;

export function compileTagFilter(filter: TagFilterConfig): TagFilter {
  const include = filter.include ? picomatch(filter.include, { dot: true }) : undefined;
  const exclude = filter.exclude.length > 0 ? picomatch(filter.exclude, { dot: true }) : undefined;
  // The whole tag must match, as a glob would.
  const regex = filter.regex !== undefined ? new RegExp(`^(?:${filter.regex})$`) : undefined;
  const range = filter.semver !== undefined ? new semver.Range(filter.semver, { loose: true }) : undefined;
  return (tag) => {
    if (include && !include(tag)) return false;
    if (regex && !regex.test(tag)) return false;
    if (range) {
      // `v1.2.3` is a version too; `latest` is not, and a range never matches it.
      const version = semver.valid(tag, { loose: true });
      if (!version || !range.test(version)) return false;
    }
    return !exclude?.(tag);
  };
}
