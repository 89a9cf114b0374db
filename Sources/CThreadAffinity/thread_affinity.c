#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include "thread_affinity.h"

int thread_affinity_get(int *cpus, int max) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0) return -1;
    int count = 0;
    for (int cpu = 0; cpu < CPU_SETSIZE && count < max; cpu++)
        if (CPU_ISSET(cpu, &set)) cpus[count++] = cpu;
    return count;
}

int thread_affinity_set(const int *cpus, int count) {
    cpu_set_t set;
    CPU_ZERO(&set);
    for (int index = 0; index < count; index++) {
        if (cpus[index] < 0 || cpus[index] >= CPU_SETSIZE) { errno = EINVAL; return -1; }
        CPU_SET(cpus[index], &set);
    }
    return sched_setaffinity(0, sizeof set, &set);
}
