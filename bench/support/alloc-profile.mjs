// Preloaded by bench/profile.ts --alloc (node --import): samples every allocation of the process,
// garbage included (V8's sampling heap profiler keeps objects collected by minor and major GCs
// with these flags, which node --heap-prof does not set), and writes alloc.<pid>.heapprofile on
// exit into ALLOC_PROFILE_DIR (the launcher passes no variables of its own to the servers).
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where the profiles go; bench/profile.ts reads them from here. */
export const ALLOC_PROFILE_DIR = join(tmpdir(), 'verdict-alloc-profiles');
const dir = ALLOC_PROFILE_DIR;
mkdirSync(dir, { recursive: true });
const session = new Session();
session.connect();
session.post('HeapProfiler.startSampling', {
  samplingInterval: 8192,
  includeObjectsCollectedByMajorGC: true,
  includeObjectsCollectedByMinorGC: true,
});
process.on('exit', () => {
  session.post('HeapProfiler.stopSampling', (error, result) => {
    if (error === null)
      writeFileSync(join(dir, `alloc.${process.pid}.heapprofile`), JSON.stringify(result.profile));
  });
});
