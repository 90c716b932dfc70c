import * as fs from 'node:fs';
import type { SystemProbe } from '../types';
import { FallbackProbe } from './fallbackProbe';
import { ProcfsProbe } from './procfsProbe';

/** The /proc reader on Linux (≈ 100× cheaper per poll), systeminformation elsewhere or when /proc is not mounted. */
export function createProbe(): SystemProbe {
  if (process.platform === 'linux') {
    try {
      fs.accessSync('/proc/self/stat', fs.constants.R_OK);
      return new ProcfsProbe();
    } catch {
      // No procfs (a minimal container or chroot): fall through.
    }
  }
  return new FallbackProbe();
}
