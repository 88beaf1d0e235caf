import type { RobotRecord } from './robot-record';

/** Where robot accounts are kept: a file for one gateway, Redis for several replicas. */
export interface RobotStore {
  readonly kind: 'file' | 'redis';
  /**
   * True when `get` answers from this process's memory (the file store): checking a robot on
   * every request then costs nothing. False (Redis): RobotAccounts keeps a short cache of its own.
   */
  readonly local: boolean;
  get(name: string): Promise<RobotRecord | undefined>;
  list(): Promise<RobotRecord[]>;
  /** Adds a robot; false (and nothing changed) when the name is taken. */
  add(record: RobotRecord): Promise<boolean>;
  /** Removes a robot; false when there was none of that name. */
  remove(name: string): Promise<boolean>;
}
