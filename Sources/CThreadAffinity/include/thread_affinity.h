#ifndef THREAD_AFFINITY_H
#define THREAD_AFFINITY_H

/// The calling thread's CPU affinity (sched_getaffinity/sched_setaffinity
/// need _GNU_SOURCE, which Swift's Glibc module does not import them with).
/// No DPDK here: the export threads use it.

/// Writes up to `max` allowed CPU numbers, ascending; returns how many, or -1.
int thread_affinity_get(int *cpus, int max);
/// Allows the calling thread (and threads it creates afterwards) only on
/// `cpus`; 0 on success, -1 with errno set.
int thread_affinity_set(const int *cpus, int count);

#endif
