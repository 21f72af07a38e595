/* Helpers of the /metrics renderer (mgmt/metrics.c), public for the unit
 * tests. */
#ifndef P2S_MGMT_METRICS_H
#define P2S_MGMT_METRICS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* The worker label of slot i among n data-plane workers: "0".."n-1", and
 * "main" for i == n (the main loop's own forwarder, only with n > 1).
 * out holds at least 12 bytes. */
void metrics_worker_label(char *out, size_t cap, unsigned i, unsigned n);
/* One counter family labelled by worker: its HELP and TYPE lines, then
 * v[0..n_slots-1] under metrics_worker_label(i, n_workers). */
void metrics_per_worker(FILE *f, const char *name, const char *help, const uint64_t *v,
			unsigned n_slots, unsigned n_workers);
/* p2sgw_heap_bytes: what this process has allocated and not freed (every
 * thread's arena and the large mapped blocks), and what the allocator holds
 * free. */
void metrics_heap(FILE *f);

#endif
