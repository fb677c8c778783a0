// A TLS gRPC front for a test's Temporal server: nginx (Debian's nginx-light) demanding a client certificate and
// `authorization: Bearer KEY` before it forwards to the server (the operator service refused, as for a user without
// operator rights), with certificates made by openssl in a temp folder.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { freePort } from './net.js';

export interface TlsFront {
  /** 127.0.0.1:PORT of the front. */
  address: string;
  apiKey: string;
  dir: string;
  /** CA of the server certificate (and of the client certificates the front accepts). */
  ca: string;
  clientCert: string;
  clientKey: string;
  /** A client certificate from another CA, which the front does not trust. */
  rogueCert: string;
  rogueKey: string;
  close(): Promise<void>;
}

export function nginxBinary(): string {
  for (const p of [...(process.env.PATH ?? '').split(':').map((d) => join(d, 'nginx')), '/usr/sbin/nginx'])
    if (p && existsSync(p)) return p;
  throw new Error(
    "nginx is not installed: scripts/setup.sh installs Debian's nginx-light (apt-get install nginx-light)",
  );
}

function openssl(dir: string, ...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** CA, server certificate for localhost/127.0.0.1, a client certificate of that CA and one of a rogue CA. */
function makeCertificates(dir: string): void {
  const days = ['-days', '2'];
  for (const ca of ['ca', 'rogue-ca'])
    openssl(
      dir,
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      `${ca}.key`,
      '-out',
      `${ca}.crt`,
      '-subj',
      `/CN=clinsynth test ${ca}`,
      ...days,
    );
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  const leaf = (name: string, ca: string, ext: string) => {
    openssl(
      dir,
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
      '-subj',
      `/CN=${name}`,
    );
    openssl(
      dir,
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      `${ca}.crt`,
      '-CAkey',
      `${ca}.key`,
      '-CAcreateserial',
      '-out',
      `${name}.crt`,
      '-extfile',
      ext,
      ...days,
    );
  };
  leaf('server', 'ca', 'server.ext');
  leaf('client', 'ca', 'client.ext');
  leaf('rogue', 'rogue-ca', 'client.ext');
}

/** Starts nginx as this process's child in front of `upstream` (host:port of a plaintext Temporal frontend). */
export async function startTlsFront(upstream: string, apiKey = 'test-key-7f3a'): Promise<TlsFront> {
  const dir = mkdtempSync(join(tmpdir(), 'clinsynth-tls-'));
  makeCertificates(dir);
  const port = await freePort();
  const conf = join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    `daemon off;
master_process off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 256; }
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  server {
    listen 127.0.0.1:${port} ssl http2;
    ssl_certificate ${dir}/server.crt;
    ssl_certificate_key ${dir}/server.key;
    ssl_client_certificate ${dir}/ca.crt;
    ssl_verify_client on;
    # A user without operator rights (as on Temporal Cloud): the operator service refuses.
    location /temporal.api.operatorservice.v1.OperatorService/ { return 403; }
    location / {
      if ($http_authorization != "Bearer ${apiKey}") { return 401; }
      grpc_read_timeout 600s;
      grpc_send_timeout 600s;
      client_max_body_size 64m;
      grpc_pass grpc://${upstream};
    }
  }
}
`,
  );
  const child: ChildProcess = spawn(nginxBinary(), ['-c', conf, '-p', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  let exited = false;
  child.on('exit', () => (exited = true));
  const deadline = Date.now() + 30_000;
  while (!(await listening(port))) {
    if (exited || Date.now() > deadline)
      throw new Error(
        `nginx did not start: ${stderr}${existsSync(join(dir, 'error.log')) ? readFileSync(join(dir, 'error.log'), 'utf8') : ''}`,
      );
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    address: `127.0.0.1:${port}`,
    apiKey,
    dir,
    ca: join(dir, 'ca.crt'),
    clientCert: join(dir, 'client.crt'),
    clientKey: join(dir, 'client.key'),
    rogueCert: join(dir, 'rogue.crt'),
    rogueKey: join(dir, 'rogue.key'),
    close: async () => {
      if (!exited) {
        const done = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await done;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}
