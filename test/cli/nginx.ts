// Run Debian's nginx (/usr/sbin/nginx) in the foreground with a generated config in a
// temporary directory: pid, logs and temp paths there, so no root paths are touched.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { get } from './helpers.js';

export const NGINX = '/usr/sbin/nginx';
export const NGINX_MISSING = existsSync(NGINX) ? undefined : `${NGINX} is absent (CI installs nginx-light; apt-get install nginx-light)`;

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export const tempDir = (): string => mkdtempSync(join(tmpdir(), 'tsgi-nginx-'));

/** The http{} block shared by the recipes: `upstream` lines and proxy settings. */
export function nginxConfig(dir: string, port: number, upstreamServers: string[]): string {
  // Started as root, nginx would switch its workers to `nobody`, who may not open the
  // Unix socket: keep them as the invoking user.
  const user = process.getuid?.() === 0 ? 'user root root;' : '';
  return `${user}
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream tsgi {
    ${upstreamServers.map((s) => `server ${s} max_fails=1 fail_timeout=2s;`).join('\n    ')}
    keepalive 32;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://tsgi;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_next_upstream error timeout http_502 http_503;
      proxy_next_upstream_tries 3;
    }
  }
}
`;
}

export interface Nginx {
  url: string;
  stop(): Promise<void>;
}

/** Start nginx and resolve once it answers (`upstream` must already be listening). */
export async function startNginx(upstreamServers: string[]): Promise<Nginx> {
  const dir = tempDir();
  const port = await freePort();
  writeFileSync(join(dir, 'nginx.conf'), nginxConfig(dir, port, upstreamServers));
  const proc: ChildProcess = spawn(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], { stdio: ['ignore', 'inherit', 'inherit'] });
  const exited = new Promise<void>((resolve) => proc.on('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  // Readiness: nginx prints nothing when ready; retry the first request until it connects.
  for (let attempt = 0; ; attempt++) {
    try {
      await get(url + '/');
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ECONNREFUSED' || attempt > 200 || proc.exitCode !== null) throw error;
      await new Promise((r) => setImmediate(r));
    }
  }
  return {
    url,
    stop: async () => {
      proc.kill('SIGQUIT');
      await exited;
    },
  };
}
