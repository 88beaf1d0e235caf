/**
 * Node options the gateway is started with, in production (`npm start`, `gantry serve`, the
 * Dockerfile) and in tests alike. Keep those places in step with this list.
 *
 * `--max-semi-space-size=1`: V8 sizes the young generation for throughput of short-lived
 * objects, up to 2 × 32 MiB, which a gateway fills with request objects and never gives back
 * (idle RSS 125 → 107 MiB; a flood of bad requests −100 MiB). The gateway's own objects are few
 * and small; its bytes live outside the heap. (Allowed in NODE_OPTIONS too.) (A copying worker
 * peaked at 205 MiB without it, 136–141 with it.) 4 MiB was tried: a cached-manifest load then
 * peaked at 142 MiB instead of 176–190 (a response's objects die young instead of piling up in
 * the old generation), but 24 parallel pulls peaked at 184–285 MiB instead of 172–178 (more of
 * the in-flight socket buffers were promoted, and glibc kept their pages); 2 MiB was worse at
 * both. Blobs are most of a registry's bytes, so 1 MiB stays.
 *
 * `--no-maglev`: V8's mid-tier compiler compiles many more functions than TurboFan alone, and
 * its compile zones and code stay resident: under a warm cached-manifest load the gateway peaked
 * at 156–159 MiB with it and 141–144 without, and served 10–15% more requests per second (the
 * hot paths are TurboFan's either way; streaming and the bad-request flood were unchanged).
 * (Allowed in NODE_OPTIONS too.)
 *
 * `--initial-old-space-size=96`: V8 charges every ArrayBuffer allocated since the last
 * mark-compact (each 64 KiB socket read of a streamed blob) to the old generation's allocation
 * limit, and its heuristics set that limit only 9–15 MiB above the gateway's ~37 MiB heap, lowest
 * after the memory reducer has run on an idle process. Streaming then runs a full mark-compact
 * every ~10 MiB: after 20 s idle, 24 parallel pulls through a registry route ran at 410–670 MB/s
 * and peaked at 209–225 MiB, against 780–1030 MB/s and 166 MiB with the flag
 * (test/gateway/streaming-after-idle.test.ts counts the collections). A configured initial size
 * keeps the limit at 96 MiB. (Disk reads no longer allocate, see FileRangeStream; sockets do.)
 * Its cost: garbage of manifest traffic may pile up further before a full collection (a warm
 * cached-manifest load peaks ~10–20 MiB higher). Not allowed in NODE_OPTIONS: pass it on the
 * command line.
 *
 * `--v8-pool-size=2`: V8's helper threads (concurrent marking, sweeping, background compiles)
 * default to four, and glibc gives each thread that allocates an arena of its own that keeps its
 * pages: after streaming, five thread arenas held 17 MiB, one of them 10 MiB. Two helpers are
 * plenty for a heap of 35–60 MiB: 24 parallel pulls peaked at 144 MiB instead of 148–151 and the
 * bad-request flood at 138–139 instead of 142, streaming and cached-manifest rates within their
 * run-to-run noise. (Allowed in NODE_OPTIONS too.)
 */
export const GATEWAY_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1', '--initial-old-space-size=96', '--no-maglev', '--v8-pool-size=2'];

/**
 * The replication worker's: the same heap sizes (it streams too, and idles between jobs), but
 * Maglev stays on. A copy is a short burst of work in a fresh process, which the mid-tier
 * compiler speeds up: a 1 GiB copy took 4.6 s with it and 5.2 s without (skopeo: 4.8–5.0 s).
 */
export const WORKER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1', '--initial-old-space-size=96'];
