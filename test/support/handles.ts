/**
 * Counting what a process holds, for leak tests: UDP sockets by file descriptor (an
 * unref()'d socket is invisible to process._getActiveHandles), and live timers.
 */
import * as fs from 'fs';

function udpInodes(): Set<string> {
  const inodes = new Set<string>();
  for (const file of ['/proc/net/udp', '/proc/net/udp6']) {
    let text = '';
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length > 9) inodes.add(cols[9]);
    }
  }
  return inodes;
}

/** UDP sockets open in this process. */
export function openUdpSockets(): number {
  const inodes = udpInodes();
  let n = 0;
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    let target = '';
    try {
      target = fs.readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      continue;
    }
    const m = /^socket:\[(\d+)\]$/.exec(target);
    if (m && inodes.has(m[1])) n++;
  }
  return n;
}

/** Timers (ref'd or not) that Node reports as active resources. */
export function activeTimers(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}

/**
 * Live processes (zombies aside) whose working directory is `dir` or inside it, or that
 * belong to process group `pgid`: what a script that starts servers must not leave behind.
 * Each as `pid command line`.
 */
export function processesOf(dir: string, pgid?: number): string[] {
  const found: string[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] === 'Z') continue;
      const inGroup = pgid !== undefined && Number(fields[2]) === pgid;
      let cwd = '';
      try { cwd = fs.readlinkSync(`/proc/${entry}/cwd`); } catch { /* not ours to read */ }
      if (inGroup || cwd === dir || cwd.startsWith(`${dir}/`)) {
        found.push(`${entry} ${fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ').trim()}`);
      }
    } catch {
      // the process ended while we looked
    }
  }
  return found;
}
