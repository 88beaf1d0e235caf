import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, tempDir, waitFor } from '../support/temp';
import { requireTool } from '../support/tools';

/**
 * nginx as a reverse proxy in front of `targetUrl`: the yardstick for a native proxy on this box.
 * 2 workers, large proxy buffers, everything (pid, logs, temp files) in its own temp dir;
 * `daemon off` keeps the master our child so that stop() ends it and its workers.
 */
export async function startNginx(targetUrl: string): Promise<{ url: string; stop(): Promise<void> }> {
  const binary = requireTool('nginx');
  const dir = tempDir('nginx');
  const port = await freePort();
  const config = join(dir.path, 'nginx.conf');
  writeFileSync(config, `
daemon off;
worker_processes 2;
pid ${join(dir.path, 'nginx.pid')};
error_log ${join(dir.path, 'error.log')} warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${join(dir.path, 'client_body')};
  proxy_temp_path ${join(dir.path, 'proxy')};
  fastcgi_temp_path ${join(dir.path, 'fastcgi')};
  uwsgi_temp_path ${join(dir.path, 'uwsgi')};
  scgi_temp_path ${join(dir.path, 'scgi')};
  upstream registry { server ${new URL(targetUrl).host}; keepalive 16; }
  server {
    listen 127.0.0.1:${port};
    client_max_body_size 0;
    location / {
      proxy_pass http://registry;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_buffers 16 256k;
      proxy_buffer_size 256k;
      proxy_max_temp_file_size 0;
    }
  }
}
`);
  const child: ChildProcess = spawn(binary, ['-p', dir.path, '-c', config], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(`nginx on ${port}`, async () => (await fetch(`${url}/v2/`)).status === 200);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    url,
    async stop() {
      child.kill('SIGQUIT');
      await exited;
      dir.remove();
    },
  };
}
