import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The dashboard's own files (ui/ at the package root) and the chart library's, by the name the page asks for. */
export interface UiFile {
  path: string;
  type: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** Only these are served: a closed list, so no request name ever becomes a path. */
const OWN = ['index.html', 'dashboard.js', 'api.js', 'view.js', 'charts.js', 'dashboard.css'];

export function uiFiles(): ReadonlyMap<string, UiFile> {
  const root = packageRoot(__dirname);
  const uplot = join(require.resolve('uplot/package.json'), '..', 'dist');
  const files = new Map<string, UiFile>();
  for (const name of OWN) files.set(name, { path: join(root, 'ui', name), type: TYPES[name.slice(name.lastIndexOf('.'))]! });
  files.set('vendor/uPlot.esm.js', { path: join(uplot, 'uPlot.esm.js'), type: TYPES['.js']! });
  files.set('vendor/uPlot.min.css', { path: join(uplot, 'uPlot.min.css'), type: TYPES['.css']! });
  return files;
}

/** tsc compiles into dist/, the static files stay at the root: found from wherever this file runs. */
function packageRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'ui', 'index.html')) && existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`the dashboard's files (ui/index.html) are not found above ${from}`);
  }
}
