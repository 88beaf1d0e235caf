/**
 * Node options the gateway and the replication worker are started with, in production
 * (`npm start`, `npm run worker`, `gantry serve|worker`, the Dockerfile) and in tests alike. Keep
 * those places in step with this list. (A copying worker peaked at 205 MiB without it, 136–141 with it.)
 *
 * `--max-semi-space-size=1`: V8 sizes the young generation for throughput of short-lived
 * objects, up to 2 × 32 MiB, which a gateway fills with request objects and never gives back
 * (idle RSS 125 → 107 MiB; a flood of bad requests −100 MiB). The gateway's own objects are few
 * and small; its bytes live outside the heap. (Allowed in NODE_OPTIONS too.)
 *
 * `--initial-old-space-size=96`: V8 charges every ArrayBuffer allocated since the last
 * mark-compact (each 64 KiB read of a streamed blob) to the old generation's allocation limit,
 * and its heuristics set that limit only 9–15 MiB above the gateway's ~37 MiB heap. In about
 * one run in three a single client's disk-cache hit then ran a full mark-compact of the whole
 * heap every ~10 MiB served: 100+ per 3 × 128 MiB pulls, 4000–8000 CPU ms/GB, ~200 MB/s.
 * A configured initial size keeps the limit at 96 MiB: 1 mark-compact, ~1900 ms/GB, ~450 MB/s
 * in every run (64 still fell into the slow mode in half the runs). Heap objects stay as few;
 * only external garbage may wait longer for a full collection (24 parallel pulls: 224 MiB peak,
 * 227 without). (`--external-memory-accounted-in-global-limit` fixed the hit too but let those
 * 24 pulls peak at 276 MiB.) Not allowed in NODE_OPTIONS: pass it on the command line.
 */
export const GATEWAY_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1', '--initial-old-space-size=96'];
