/**
 * Node options the gateway is started with, in production (`npm start`, `gantry serve`, the
 * Dockerfile) and in tests alike. Keep those places in step with this list.
 *
 * `--max-semi-space-size=1`: V8 sizes the young generation for throughput of short-lived
 * objects, up to 2 × 32 MiB, which a gateway fills with request objects and never gives back
 * (idle RSS 125 → 107 MiB; a flood of bad requests −100 MiB). The gateway's own objects are few
 * and small; its bytes live outside the heap. (Allowed in NODE_OPTIONS too.) (A copying worker
 * peaked at 205 MiB without it, 136–141 with it.)
 *
 * `--no-maglev`: V8's mid-tier compiler compiles many more functions than TurboFan alone, and
 * its compile zones and code stay resident: under a warm cached-manifest load the gateway peaked
 * at 156–159 MiB with it and 141–144 without, and served 10–15% more requests per second (the
 * hot paths are TurboFan's either way; streaming and the bad-request flood were unchanged).
 * (Allowed in NODE_OPTIONS too.)
 *
 * No `--initial-old-space-size`: it was there because V8 charges every ArrayBuffer allocated
 * since the last mark-compact to the old generation's limit, and a disk-cache hit reading fresh
 * 64 KiB buffers then ran a full mark-compact every ~10 MiB in one run of three. Disk reads now go
 * through recycled buffers (FileRangeStream), and the larger limit let garbage of manifest traffic
 * pile up to ~190 MiB RSS before a full collection (~155 without).
 */
export const GATEWAY_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1', '--no-maglev'];

/**
 * The replication worker's: the small young generation, but Maglev stays on. A copy is a short
 * burst of work in a fresh process, which the mid-tier compiler speeds up: a 1 GiB copy took
 * 4.6 s with it and 5.2 s without (skopeo: 4.8–5.0 s), for 136 vs 141 MiB peak.
 */
export const WORKER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1'];
