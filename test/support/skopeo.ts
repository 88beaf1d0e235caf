import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './temp';
import { requireTool } from './tools';

/** Runs the real skopeo client against plain-HTTP loopback registries, with no ambient credentials. */
export async function skopeo(args: string[], options: { creds?: string } = {}): Promise<{ stdout: string; stderr: string }> {
  requireTool('skopeo');
  const home = tempDir('skopeo-home');
  const authFile = join(home.path, 'auth.json');
  writeFileSync(authFile, '{}');
  const [command, ...rest] = args;
  const flags = ['--authfile', authFile];
  const tlsFlags = command === 'copy' ? ['--src-tls-verify=false', '--dest-tls-verify=false'] : ['--tls-verify=false'];
  const credFlags = options.creds
    ? command === 'copy' ? ['--src-creds', options.creds, '--dest-creds', options.creds] : ['--creds', options.creds]
    : [];
  try {
    return await new Promise((resolve, reject) => {
      execFile('skopeo', [command!, ...(command === 'list-tags' || command === 'inspect' || command === 'delete' || command === 'copy' ? flags : []), ...tlsFlags, ...credFlags, ...rest],
        { env: { ...process.env, HOME: home.path, XDG_RUNTIME_DIR: home.path }, maxBuffer: 64 * 1024 * 1024, timeout: 120000 },
        (err, stdout, stderr) => (err ? reject(new Error(`skopeo ${args.join(' ')} failed: ${stderr || err.message}`)) : resolve({ stdout, stderr })));
    });
  } finally {
    home.remove();
  }
}
