// Whose Temporal dev server answers on a local port: this CLINSYNTH_HOME's (its pid file and database), or which
// other one (pid, command line, database) and how to stop it.
import { existsSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export const PID_FILE = 'temporal-server.pid';
export const DB_FILE = 'temporal.db';

/** Undefined when the server on `port` is `home`'s own; else a message saying which server it is and how to stop it. */
export function foreignServerProblem(home: string, port: number): string | undefined {
  const dbFile = resolve(home, DB_FILE);
  const pidFile = join(home, PID_FILE);
  const ownPid = readPid(pidFile);
  const listener = listenerPid(port);
  const hasProc = existsSync('/proc/self/cmdline');
  let reason: string;
  if (ownPid === undefined) reason = `it has no ${PID_FILE}`;
  else if (!alive(ownPid)) reason = `its pid file names pid ${ownPid}, which is not running`;
  else if (hasProc && listener !== undefined && listener !== ownPid)
    reason = `its pid file names pid ${ownPid}, but pid ${listener} listens on the port`;
  else if (hasProc && dbOf(commandLine(ownPid)) !== dbFile)
    reason = `pid ${ownPid} runs with another database (${dbOf(commandLine(ownPid)) ?? 'none named'})`;
  else if (!existsSync(dbFile)) reason = `its database ${dbFile} is gone`;
  else return undefined;

  const lines = [
    `127.0.0.1:${port} is answered by a Temporal server that is not this CLINSYNTH_HOME's (${home}: ${reason}).`,
  ];
  const stops: string[] = [];
  if (listener !== undefined) {
    const cmd = commandLine(listener);
    const db = dbOf(cmd);
    const otherHome = db ? dirname(db) : undefined;
    lines.push(
      `It is pid ${listener}: ${cmd.join(' ').slice(0, 300)}` +
        (db ? ` (database ${db}${existsSync(db) ? '' : ', which no longer exists'})` : ''),
    );
    if (otherHome && readPid(join(otherHome, PID_FILE)) === listener)
      stops.push(`CLINSYNTH_HOME=${otherHome} clinsynth server stop`);
    stops.push(`kill ${listener}`);
  } else stops.push(`stop the process listening on port ${port}`);
  lines.push(
    `Stop it (${stops.map((c) => `\`${c}\``).join(' or ')}) and run again, or use it on purpose with TEMPORAL_ADDRESS=127.0.0.1:${port}.`,
  );
  return lines.join('\n');
}

/** This home's own server when it runs (its pid file names a live `temporal` with this home's database), and its port. */
export function ownRunningServer(home: string): { pid: number; port: number | undefined } | undefined {
  const pid = readPid(join(home, PID_FILE));
  if (pid === undefined || !alive(pid)) return undefined;
  const cmd = commandLine(pid);
  if (dbOf(cmd) !== resolve(home, DB_FILE)) return undefined;
  const i = cmd.indexOf('--port');
  return { pid, port: i >= 0 ? Number(cmd[i + 1]) : undefined };
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function commandLine(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

/** The `--db-filename` a `temporal server start-dev` runs with, absolute. */
function dbOf(cmd: string[]): string | undefined {
  const i = cmd.indexOf('--db-filename');
  const eq = cmd.find((a) => a.startsWith('--db-filename='));
  const v = i >= 0 ? cmd[i + 1] : eq?.slice('--db-filename='.length);
  return v ? resolve(v) : undefined;
}

/** The process listening on 127.0.0.1:port or *:port (Linux /proc; undefined elsewhere or when not visible). */
export function listenerPid(port: number): number | undefined {
  const inodes = new Set<string>();
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length > 9 && f[3] === '0A' && f[1]!.endsWith(`:${hex}`)) inodes.add(f[9]!); // 0A = LISTEN
    }
  }
  if (!inodes.size) return undefined;
  for (const d of safeList('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    for (const fd of safeList(`/proc/${d}/fd`)) {
      let link: string;
      try {
        link = readlinkSync(`/proc/${d}/fd/${fd}`);
      } catch {
        continue;
      }
      const m = /^socket:\[(\d+)\]$/.exec(link);
      if (m && inodes.has(m[1]!)) return Number(d);
    }
  }
  return undefined;
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
