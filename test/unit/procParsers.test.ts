import * as assert from 'node:assert/strict';
import {
  decodeProcAddress, mountForPath, parseBtime, parseCmdline, parseEnviron, parseIntFile, parseKeyedCount, parseMeminfo,
  parseKernelPageSize, parseMountinfo, parseNetTcp, parsePressure, parseProcCgroup, parseStat, parseStatusUid, percent,
} from '../../src/core/system/procParsers';

// Rows as the kernel prints them (captured on this machine, inodes kept).
const TCP_HEADER = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
const TCP6_HEADER = '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
const tcpRow = (sl: number, local: string, remote: string, st: string, inode: number): string =>
  `${String(sl).padStart(4)}: ${local} ${remote} ${st} 00000000:00000000 00:00000000 00000000  1000        0 ${inode} 1 0000000071c305f9 100 0 0 10 0\n`;

describe('procParsers', () => {
  describe('parseStat', () => {
    it('reads a plain line', () => {
      const s = parseStat('6938 (cat) R 6934 6934 2139 0 -1 4194304 104 0 0 0 0 0 0 0 20 0 1 0 34905 3133440 383 18446744073709551615 0 0');
      assert.deepEqual(s, { pid: 6938, comm: 'cat', state: 'R', ppid: 6934, pgrp: 6934, session: 2139, startTicks: 34905, rssPages: 383, utimeTicks: 0, stimeTicks: 0, kernelThread: false, cpuTicks: 0 });
    });

    it('sums utime and stime (fields 14 and 15) into cpuTicks', () => {
      // /proc/self/stat of a node process that had just spun for 300 ms (captured on this machine).
      const s = parseStat('16260 (node) R 16258 16258 4904 0 -1 4194304 2807 0 0 0 14 1 0 0 20 0 7 0 39477 948350976 11617 18446744073709551615 11988992 39846385 140723307609328 0 0 0 0 16781312 17922 0 0 0 17 1 0 0 0 0 0 90418888 90555584 775839744 140723307616884 140723307616999 140723307616999 140723307618282 0');
      assert.equal(s?.cpuTicks, 15);
      assert.equal(s?.startTicks, 39477);
    });

    it('reads user and system CPU ticks (a node process after a busy loop, /proc/self/stat)', () => {
      const s = parseStat('13725 (node) R 13721 13721 4831 0 -1 4194304 2844 0 0 0 310 1 0 0 20 0 7 0 34942 1015459840 11572 18446744073709551615 11988992 39846385 140726530407744 0 0 0 0 16781312 17922 0 0 0 17 0 0 0 0 0 0 90418888 90555584 835198976 140726530415191 140726530415335 140726530415335 140726530416618 0');
      assert.equal(s?.utimeTicks, 310);
      assert.equal(s?.stimeTicks, 1);
      assert.equal(s?.startTicks, 34942);
      assert.equal(s?.rssPages, 11572);
    });

    it('splits at the last parenthesis when comm holds spaces and parentheses', () => {
      const s = parseStat('42 (my (weird) app) S 1 42 42 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 777 1000 50 0');
      assert.equal(s?.comm, 'my (weird) app');
      assert.equal(s?.state, 'S');
      assert.equal(s?.ppid, 1);
      assert.equal(s?.startTicks, 777);
      assert.equal(s?.rssPages, 50);
    });

    it('handles a comm that is just ") ("', () => {
      const s = parseStat('7 () () R 3 7 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 99 0 0 0');
      assert.equal(s?.comm, ') (');
      assert.equal(s?.ppid, 3);
    });

    it('reads a zombie', () => {
      const s = parseStat('5120 (sleep) Z 5119 5119 100 0 -1 4227148 80 0 0 0 0 0 0 0 20 0 1 0 123456 0 0 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0');
      assert.equal(s?.state, 'Z');
      assert.equal(s?.ppid, 5119);
      assert.equal(s?.rssPages, 0);
      assert.equal(s?.kernelThread, false);
    });

    it('flags kernel threads (PF_KTHREAD)', () => {
      const s = parseStat('2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 24 0 0 18446744073709551615 0 0');
      assert.equal(s?.kernelThread, true);
      assert.equal(s?.ppid, 0);
    });

    it('rejects truncated or garbage text', () => {
      assert.equal(parseStat(''), null);
      assert.equal(parseStat('12 (node) S 1 2 3'), null);
      assert.equal(parseStat('no parentheses here'), null);
      assert.equal(parseStat('x (node) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0 0'), null);
    });
  });

  describe('parseStatusUid', () => {
    it('takes the real uid, not the effective one', () => {
      assert.equal(parseStatusUid('Name:\tnode\nUmask:\t0022\nState:\tS (sleeping)\nUid:\t1000\t0\t1000\t1000\nGid:\t100\t100\t100\t100\n'), 1000);
    });

    it('reads a zombie\'s status and gives -1 when the line is absent', () => {
      assert.equal(parseStatusUid('Name:\tsleep\nState:\tZ (zombie)\nUid:\t0\t0\t0\t0\n'), 0);
      assert.equal(parseStatusUid('Name:\tx\n'), -1);
    });
  });

  describe('parseCmdline', () => {
    it('splits NUL-separated argv and drops the trailing NUL', () => {
      assert.deepEqual(parseCmdline('node\0server.js\0--port\x003000\0'), ['node', 'server.js', '--port', '3000']);
    });

    it('keeps empty and space-holding arguments', () => {
      assert.deepEqual(parseCmdline(Buffer.from('sh\0-c\0echo a b\0\0')), ['sh', '-c', 'echo a b', '']);
    });

    it('is empty for zombies and kernel threads', () => {
      assert.deepEqual(parseCmdline(''), []);
      assert.deepEqual(parseCmdline(Buffer.alloc(0)), []);
    });

    it('keeps a rewritten title without NULs as one element', () => {
      assert.deepEqual(parseCmdline('nginx: master process /usr/sbin/nginx'), ['nginx: master process /usr/sbin/nginx']);
    });

    it('decodes UTF-8', () => {
      assert.deepEqual(parseCmdline(Buffer.from('node\0/home/zoë/app.js\0')), ['node', '/home/zoë/app.js']);
    });
  });

  describe('parseEnviron', () => {
    it('splits at the first = only', () => {
      const env = parseEnviron('NODE_OPTIONS=--max-old-space-size=4096\0PATH=/usr/bin\0EMPTY=\0URL=a=b=c\0');
      assert.deepEqual(env, { NODE_OPTIONS: '--max-old-space-size=4096', PATH: '/usr/bin', EMPTY: '', URL: 'a=b=c' });
    });

    it('skips entries without a name', () => {
      assert.deepEqual(parseEnviron('garbage\0=x\0A=1\0'), { A: '1' });
      assert.deepEqual(parseEnviron(''), {});
    });
  });

  describe('parseNetTcp', () => {
    it('reads LISTEN rows of /proc/net/tcp with little-endian addresses and hex ports', () => {
      const text = TCP_HEADER +
        tcpRow(0, '00000000:07E8', '00000000:0000', '0A', 1214) +
        tcpRow(1, '0100007F:0BB8', '00000000:0000', '0A', 5555) +
        tcpRow(2, '0100007F:8C96', '0100007F:0BB8', '01', 5556) +
        tcpRow(3, '0100007F:8CA6', '0100007F:AF3F', '06', 0);
      assert.deepEqual(parseNetTcp(text, 4), [
        { family: 4, address: '0.0.0.0', port: 2024, inode: 1214 },
        { family: 4, address: '127.0.0.1', port: 3000, inode: 5555 },
      ]);
    });

    it('decodes a LAN address', () => {
      assert.deepEqual(parseNetTcp(TCP_HEADER + tcpRow(0, '0A01A8C0:1F90', '00000000:0000', '0A', 9), 4)[0].address, '192.168.1.10');
    });

    it('ignores an ESTABLISHED-only table', () => {
      assert.deepEqual(parseNetTcp(TCP_HEADER + tcpRow(0, '0100007F:8C96', '0100007F:0BB8', '01', 77), 4), []);
    });

    it('returns nothing for a header-only or empty file', () => {
      assert.deepEqual(parseNetTcp(TCP_HEADER, 4), []);
      assert.deepEqual(parseNetTcp('', 6), []);
    });

    it('reads IPv6 rows: ::, v4-mapped, ::1', () => {
      const text = TCP6_HEADER +
        tcpRow(0, '00000000000000000000000000000000:93B5', '00000000000000000000000000000000:0000', '0A', 29222) +
        tcpRow(1, '0000000000000000FFFF00000100007F:9181', '00000000000000000000000000000000:0000', '0A', 29223) +
        tcpRow(2, '00000000000000000000000001000000:A931', '00000000000000000000000000000000:0000', '0A', 29221) +
        tcpRow(3, '00000000000000000000000001000000:E88A', '00000000000000000000000001000000:A931', '01', 29226);
      assert.deepEqual(parseNetTcp(text, 6), [
        { family: 6, address: '::', port: 37813, inode: 29222 },
        { family: 6, address: '::ffff:127.0.0.1', port: 37249, inode: 29223 },
        { family: 6, address: '::1', port: 43313, inode: 29221 },
      ]);
    });

    it('skips a truncated row', () => {
      assert.deepEqual(parseNetTcp(TCP_HEADER + '   0: 0100007F:0BB8 00000000:0000 0A 0000', 4), []);
    });
  });

  describe('decodeProcAddress (IPv6 compression)', () => {
    it('compresses the longest zero run', () => {
      // fe80::1 and 2001:db8::8:800:200c:417a, each 32-bit word little-endian.
      assert.equal(decodeProcAddress('000080FE000000000000000001000000'), 'fe80::1');
      assert.equal(decodeProcAddress('B80D01200000000000080800' + '7A410C20'), '2001:db8::8:800:200c:417a');
    });

    it('does not compress a single zero group', () => {
      // 2001:db8:0:1:1:1:1:1
      assert.equal(decodeProcAddress('B80D0120010000000100010001000100'), '2001:db8:0:1:1:1:1:1');
    });

    it('compresses the first of two equal runs', () => {
      // 2001:0:0:1:0:0:1:1 → 2001::1:0:0:1:1
      assert.equal(decodeProcAddress('00000120010000000000000001000100'), '2001::1:0:0:1:1');
    });

    it('rejects other lengths', () => {
      assert.equal(decodeProcAddress('0100'), null);
    });
  });

  describe('parseMeminfo', () => {
    it('reads bytes and computes used and swap', () => {
      const m = parseMeminfo('MemTotal:       1000 kB\nMemFree:         100 kB\nMemAvailable:    250 kB\nBuffers:  10 kB\nSwapTotal:      2000 kB\nSwapFree:       1500 kB\n');
      assert.deepEqual(m, { totalBytes: 1024000, availableBytes: 256000, usedPercent: 75, swapTotalBytes: 2048000, swapUsedBytes: 512000 });
    });

    it('estimates available from MemFree + Buffers + Cached on old kernels', () => {
      const m = parseMeminfo('MemTotal:  3000 kB\nMemFree:  1000 kB\nBuffers:  100 kB\nCached:  400 kB\nSwapCached: 50 kB\nSwapTotal: 0 kB\nSwapFree: 0 kB\n');
      assert.equal(m?.availableBytes, 1500 * 1024);
      assert.equal(m?.usedPercent, 50);
      assert.equal(m?.swapUsedBytes, 0);
    });

    it('rounds to one decimal', () => {
      assert.equal(parseMeminfo('MemTotal: 3 kB\nMemAvailable: 2 kB\n')?.usedPercent, 33.3);
    });

    it('is null without MemTotal', () => {
      assert.equal(parseMeminfo('MemFree: 1 kB\n'), null);
      assert.equal(parseMeminfo(''), null);
    });
  });

  describe('parsePressure', () => {
    it('reads some and full avg10', () => {
      const p = parsePressure('some avg10=1.25 avg60=0.50 avg300=0.10 total=12345\nfull avg10=0.75 avg60=0.20 avg300=0.05 total=6789\n');
      assert.deepEqual(p, { someAvg10: 1.25, fullAvg10: 0.75 });
    });

    it('defaults full to 0 and is null without a some line', () => {
      assert.deepEqual(parsePressure('some avg10=2.00 avg60=0.00 avg300=0.00 total=0\n'), { someAvg10: 2, fullAvg10: 0 });
      assert.equal(parsePressure(''), null);
    });
  });

  describe('parseProcCgroup', () => {
    it('reads a cgroup v1 (hybrid) file', () => {
      const text = '9:name=systemd:/\n8:pids:/\n4:memory:/process_api/db3caea9937d86687c4ef259bceca6a2\n1:cpu:/\n0::/\n';
      assert.deepEqual(parseProcCgroup(text), { v1Memory: '/process_api/db3caea9937d86687c4ef259bceca6a2', v2: '/' });
    });

    it('finds memory among several co-mounted controllers', () => {
      assert.deepEqual(parseProcCgroup('5:hugetlb,memory:/docker/abc\n'), { v1Memory: '/docker/abc', v2: null });
    });

    it('reads a pure cgroup v2 file', () => {
      const text = '0::/user.slice/user-1000.slice/user@1000.service/app.slice/code.scope\n';
      assert.deepEqual(parseProcCgroup(text), { v1Memory: null, v2: '/user.slice/user-1000.slice/user@1000.service/app.slice/code.scope' });
    });

    it('does not mistake memory-named cgroup paths or name= hierarchies', () => {
      assert.deepEqual(parseProcCgroup('1:name=systemd:/memory\n2:cpu:/memory:x\n'), { v1Memory: null, v2: null });
      assert.deepEqual(parseProcCgroup(''), { v1Memory: null, v2: null });
    });
  });

  describe('parseMountinfo', () => {
    const text = [
      '23 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw,errors=remount-ro',
      '36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 shared:7 - ext3 /dev/root rw,errors=continue',
      '100 23 8:17 / /media/My\\040Disk rw,relatime shared:5 - vfat /dev/sdb1 rw,fmask=0022',
      '35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory',
      '41 31 0:38 /ns /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
      'garbage line',
      '',
    ].join('\n');
    const mounts = parseMountinfo(text);

    it('reads mount point, root, type and super options, with or without optional fields', () => {
      assert.equal(mounts.length, 5);
      assert.deepEqual(mounts[1], { mountPoint: '/mnt2', root: '/mnt1', fsType: 'ext3', superOptions: ['rw', 'errors=continue'] });
      assert.deepEqual(mounts[3].superOptions, ['rw', 'memory']);
      assert.equal(mounts[4].root, '/ns');
      assert.equal(mounts[4].fsType, 'cgroup2');
    });

    it('unescapes \\040 in mount points', () => {
      assert.equal(mounts[2].mountPoint, '/media/My Disk');
    });

    it('picks the longest mount point at a path boundary', () => {
      assert.equal(mountForPath(mounts, '/media/My Disk/project')?.fsType, 'vfat');
      assert.equal(mountForPath(mounts, '/media/My Disk')?.fsType, 'vfat');
      assert.equal(mountForPath(mounts, '/media/My Diskette')?.mountPoint, '/');
      assert.equal(mountForPath(mounts, '/home/me')?.mountPoint, '/');
    });

    it('prefers the later of two mounts on the same point', () => {
      const over = [...mounts, { mountPoint: '/mnt2', root: '/', fsType: 'tmpfs', superOptions: [] }];
      assert.equal(mountForPath(over, '/mnt2/x')?.fsType, 'tmpfs');
    });

    it('finds nothing for a relative path or an empty table', () => {
      assert.equal(mountForPath(mounts, 'relative/path'), null);
      assert.equal(mountForPath([], '/x'), null);
    });
  });

  describe('small files', () => {
    it('reads btime from /proc/stat', () => {
      assert.equal(parseBtime('cpu  1 2 3\nintr 5\nctxt 9\nbtime 1795330418\nprocesses 100\n'), 1795330418);
      assert.equal(parseBtime('cpu 1\n'), null);
    });

    it('reads the page size from smaps', () => {
      assert.equal(parseKernelPageSize('55f3ce967000-55f3ce969000 r--p 00000000 fe:00 260386   /usr/bin/head\nSize:      8 kB\nKernelPageSize:       16 kB\nMMUPageSize:   16 kB\n'), 16384);
      assert.equal(parseKernelPageSize(''), null);
    });

    it('reads one-number files', () => {
      assert.equal(parseIntFile('192536\n'), 192536);
      assert.equal(parseIntFile('max\n'), null);
    });

    it('reads counts from keyed files', () => {
      assert.equal(parseKeyedCount('oom_kill_disable 0\nunder_oom 0\noom_kill 3\n', 'oom_kill'), 3);
      assert.equal(parseKeyedCount('low 0\nhigh 0\nmax 12\noom 2\noom_kill 1\noom_group_kill 0\n', 'oom_kill'), 1);
      assert.equal(parseKeyedCount('oom_kill_disable 1\n', 'oom_kill'), 0);
    });

    it('computes percentages with one decimal and guards zero', () => {
      assert.equal(percent(1, 3), 33.3);
      assert.equal(percent(5, 0), 0);
    });
  });
});
