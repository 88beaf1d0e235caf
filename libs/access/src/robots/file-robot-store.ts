import { mkdirSync, readFileSync } from 'node:fs';
import { chmod, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseRobotRecord, type RobotRecord } from './robot-record';
import type { RobotStore } from './robot-store';

interface RobotFile {
  version: 1;
  robots: RobotRecord[];
}

/**
 * Robot accounts in one JSON file (auth.robots.path), for a single gateway without Redis. All
 * robots are held in memory and the file is rewritten whole on each change: atomically (a temp
 * file, fsynced, then renamed over it) and readable by the owner only (0600). Writes are queued
 * one after another. Several processes must not share the file: with replicas, use Redis.
 */
export class FileRobotStore implements RobotStore {
  readonly kind = 'file';
  readonly local = true;
  private readonly robots = new Map<string, RobotRecord>();
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    for (const robot of readRobotFile(path)) this.robots.set(robot.name, robot);
  }

  async get(name: string): Promise<RobotRecord | undefined> {
    return this.robots.get(name);
  }

  async list(): Promise<RobotRecord[]> {
    return [...this.robots.values()];
  }

  async add(record: RobotRecord): Promise<boolean> {
    if (this.robots.has(record.name)) return false;
    this.robots.set(record.name, record);
    try {
      await this.persist();
    } catch (err) {
      this.robots.delete(record.name);
      throw err;
    }
    return true;
  }

  async remove(name: string): Promise<boolean> {
    const record = this.robots.get(name);
    if (!record) return false;
    this.robots.delete(name);
    try {
      await this.persist();
    } catch (err) {
      this.robots.set(name, record);
      throw err;
    }
    return true;
  }

  /** Writes the current set once the write before has finished (each write carries every change so far). */
  private persist(): Promise<void> {
    const next = this.writing.catch(() => undefined).then(() => this.writeFile());
    this.writing = next;
    return next;
  }

  private async writeFile(): Promise<void> {
    const doc: RobotFile = { version: 1, robots: [...this.robots.values()] };
    const temp = `${this.path}.${process.pid}.tmp`;
    const handle = await open(temp, 'w', 0o600);
    try {
      await handle.writeFile(JSON.stringify(doc, null, 2));
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      // The mode given to open() is masked by the umask; the file must not be group or world readable.
      await chmod(temp, 0o600);
      await rename(temp, this.path);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
  }
}

/** No file yet: no robots. A file that cannot be read as robots stops the start rather than losing them. */
function readRobotFile(path: string): RobotRecord[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new Error(`cannot read robot accounts from ${path}: ${(err as Error).message}`, { cause: err });
  }
  let doc: Partial<RobotFile>;
  try {
    doc = JSON.parse(text) as Partial<RobotFile>;
  } catch (err) {
    throw new Error(`robot accounts file ${path} is not valid JSON`, { cause: err });
  }
  if (!Array.isArray(doc.robots)) throw new Error(`robot accounts file ${path} has no "robots" list`);
  return doc.robots.map((entry, i) => {
    const robot = parseRobotRecord(entry);
    if (!robot) throw new Error(`robot accounts file ${path}: robots[${i}] is not a valid robot record`);
    return robot;
  });
}
