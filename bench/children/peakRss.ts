// Preloaded (`node --import`) into a measured child: at exit, writes its peak resident set size
// (getrusage ru_maxrss, KiB) to $BENCH_PEAK_RSS_FILE. The kernel keeps the peak, so nothing is
// missed between samples, unlike polling /proc.
import { writeFileSync } from 'node:fs';

const file = process.env.BENCH_PEAK_RSS_FILE;
if (file) {
  process.once('exit', () => {
    writeFileSync(file, String(process.resourceUsage().maxRSS));
  });
}
