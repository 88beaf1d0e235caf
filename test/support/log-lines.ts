/** A process's structured (pino) log lines, parsed; anything else it printed is left out. */
export function logLines(logs: readonly string[]): Record<string, unknown>[] {
  return logs
    .join('')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
