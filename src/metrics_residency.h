/* numa-runtime: the per-container memory families of `metrics`.  */
#ifndef NR_METRICS_RESIDENCY_H
#define NR_METRICS_RESIDENCY_H

#include "conf.h"
#include "ledger.h"

#include <stddef.h>
#include <stdio.h>

/* Print, for the live containers among ENTRIES[0..N):
   numa_runtime_container_memory_bytes{container,pod,node},
   numa_runtime_container_local_ratio{container,pod}, and
   numa_runtime_memory_local_ratio (all their local bytes over all their
   bytes).  A container whose memory.numa_stat cannot be read has no
   sample (and is left out of the node's ratio).  */
void nr_metrics_residency (FILE *out, const struct nr_config *config,
                           const struct nr_ledger_entry *entries, size_t n);

#endif
