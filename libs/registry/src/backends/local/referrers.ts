import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { compareNames, parseReferrerEntry, type Descriptor } from '#oci';
import { listDir, readIfExists, removeFile, writeFileAtomic } from './fs-util';
import { SHA256_HEX, type StoreLayout } from './paths';

/**
 * The referrers of each subject, one file per referrer holding its descriptor, so a listing is a
 * directory read and adding or removing one referrer never rewrites a shared index.
 * Subjects need not exist: the spec lets referrers be pushed before their subject.
 */
export class ReferrerRecords {
  constructor(private readonly layout: StoreLayout) {}

  async record(repo: string, subjectHex: string, hex: string, descriptor: Descriptor): Promise<void> {
    await writeFileAtomic(this.layout, this.layout.referrerFile(repo, subjectHex, hex), JSON.stringify(descriptor));
  }

  /** Removes every record of referrer `hex`, under whatever subject it was filed. */
  async remove(repo: string, hex: string): Promise<void> {
    const root = this.layout.referrersRoot(repo);
    for (const subjectHex of await listDir(root)) {
      if (!SHA256_HEX.test(subjectHex)) continue;
      if (await removeFile(this.layout.referrerFile(repo, subjectHex, hex))) {
        // Only an empty folder goes; a concurrent record write retries its mkdir.
        await fs.rmdir(path.join(root, subjectHex)).catch(() => undefined);
      }
    }
  }

  /** Hexes of the referrers filed under `subjectHex`, in lexical order. */
  async referrersOf(repo: string, subjectHex: string): Promise<string[]> {
    const entries = await listDir(this.layout.referrersDir(repo, subjectHex));
    return entries.filter((e) => SHA256_HEX.test(e)).sort(compareNames);
  }

  /** Descriptors of `subjectHex`'s referrers, sorted by digest so listings are deterministic. */
  async list(repo: string, subjectHex: string): Promise<Descriptor[]> {
    const out: Descriptor[] = [];
    for (const hex of await this.referrersOf(repo, subjectHex)) {
      const raw = await readIfExists(this.layout.referrerFile(repo, subjectHex, hex));
      const descriptor = raw && parseDescriptor(raw, hex);
      if (descriptor) out.push(descriptor);
    }
    return out;
  }
}

/** A record is trusted only if it is a valid referrers entry for the referrer its file name says. */
function parseDescriptor(raw: Buffer, hex: string): Descriptor | undefined {
  try {
    const d = parseReferrerEntry(JSON.parse(raw.toString('utf8')));
    return d.digest === `sha256:${hex}` ? d : undefined;
  } catch {
    return undefined;
  }
}
