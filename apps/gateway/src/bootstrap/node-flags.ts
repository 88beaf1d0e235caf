/**
 * Node options the gateway is started with, in production (`npm start`, `gantry serve`, the
 * Dockerfile) and in tests alike. Keep those places in step with this list.
 *
 * `--max-semi-space-size=4`: V8 sizes the young generation for throughput of short-lived
 * objects, up to 2 × 32 MiB, which a gateway fills with request objects and never gives back
 * (idle RSS 125 → 107 MiB; a flood of bad requests −100 MiB). 1 MiB is too small the other way:
 * under a cached-manifest load (13–16k requests/s) each response's objects outlived two
 * collections, went to the old generation with their buffers, and piled up there until a full
 * collection (peak 176–190 MiB); with 4 MiB they die young (peak 143 MiB, 5% more requests/s).
 * Streaming and the flood were the same with either. (Allowed in NODE_OPTIONS too.)
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
 */
export const GATEWAY_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4', '--initial-old-space-size=96', '--no-maglev'];

/**
 * The replication worker's: the same old generation (it streams too, and idles between jobs), a
 * 1 MiB young generation (a copy's objects are few and long-lived; a copying worker peaked at
 * 205 MiB with V8's default, 136–141 with 1 MiB), and Maglev stays on. A copy is a short burst of
 * work in a fresh process, which the mid-tier compiler speeds up: a 1 GiB copy took 4.6 s with it
 * and 5.2 s without (skopeo: 4.8–5.0 s).
 */
export const WORKER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1', '--initial-old-space-size=96'];
