// Thin C shims over DPDK for Swift: only what Swift cannot reach by itself
// (rte_errno, function-like macros, private struct layouts, the workers'
// stop flag). Every decision lives in Swift; these functions just translate.
// Signals are ScopeCore's (ProcessSignals). The same source compiles against
// 22.11, 23.11, 24.11 and 25.11: where releases differ, an RTE_VERSION check
// here picks the behaviour and a function reports it, so Swift never needs a
// copy per release.
#ifndef CDPDK_H
#define CDPDK_H

#include <rte_config.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_launch.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_memzone.h>
#include <rte_mempool.h>
#include <rte_pdump.h>
#include <rte_pcapng.h>
#include <rte_bpf.h>
#include <rte_ring.h>
#include <rte_version.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/// rte_errno is a per-lcore TLS macro Swift cannot read.
int cdpdk_errno(void);

/// The DPDK version these headers describe, as stored in the shared memory
/// config (struct rte_mem_config.version): RTE_VERSION.
uint32_t cdpdk_headers_version(void);

/// The same code for the DPDK libraries actually loaded. EAL refuses a
/// secondary whose librte_eal's RTE_VERSION differs from the primary's, and
/// the libraries can be upgraded without rebuilding us, so this is what an
/// attach is checked against.
uint32_t cdpdk_library_version(void);

/// rte_get_tsc_cycles (inline assembly, which Swift cannot import).
uint64_t cdpdk_tsc_cycles(void);

/// How the primary's pcapng copies carry their timestamp. Up to 23.07,
/// rte_pcapng_copy stores nanoseconds since the epoch (22.11's come with a
/// clock fault that PrimaryClockRepair undoes). From 23.11 it stores raw TSC
/// cycles and leaves the conversion to whoever writes the file: us.
bool cdpdk_pcapng_stamps_tsc_cycles(void);

/// From 25.11 every secondary must call rte_pdump_init() (the primary asks
/// all processes to disable their callbacks and warns about any secondary
/// that does not answer). Earlier releases must not: it would reserve the
/// stats memzone. Returns 0 when nothing was needed or it worked.
int cdpdk_pdump_secondary_init(void);

/// rte_eal_init, but a SIGBUS during it (EAL reading past the end of a
/// truncated runtime config) prints `line` (one line, with its newline) on
/// stderr and exits 2 instead of crashing. The previous SIGBUS action is
/// restored when init returns.
int cdpdk_eal_init_guarded(int argc, char **argv, const char *line);

/// Route DPDK's own log lines into an in-memory buffer (before EAL init) so
/// that a failed attach can be reported as one line instead of a log dump.
int cdpdk_log_capture_begin(void);
/// Stop capturing; returns a malloc'd NUL-terminated copy of what was logged
/// (caller frees) and points DPDK's log back at stderr.
char *cdpdk_log_capture_end(void);

/// Layout of struct rte_mempool_ops_table, which Swift needs to parse a copy
/// read out of another process's memory.
struct cdpdk_ops_table_layout {
    size_t table_size;
    size_t num_ops_offset;
    size_t ops_offset;
    size_t ops_stride;
    size_t name_size;
    unsigned max_ops;
};
struct cdpdk_ops_table_layout cdpdk_ops_table_layout(void);

/// Our own process's ops table, for reordering before any pool exists.
/// (Swift imports the cache-aligned struct as opaque, hence the accessors.)
void *cdpdk_own_ops_table(void);
void cdpdk_own_ops_table_lock(void);
void cdpdk_own_ops_table_unlock(void);
void cdpdk_own_ops_table_set_count(uint32_t count);

/// Per-queue, per-direction pdump counters straight from the primary's
/// "rte_pdump_stats" memzone; rte_pdump_stats() only offers per-port sums.
/// Returns false when the memzone does not exist (the primary never called
/// rte_pdump_init).
bool cdpdk_pdump_stats_available(void);
bool cdpdk_pdump_queue_stats(uint16_t port, uint16_t queue, bool tx,
                             struct rte_pdump_stats *out);

/// Port facts for `list`, read without reconfiguring anything.
struct cdpdk_port_info {
    char name[RTE_ETH_NAME_MAX_LEN];
    char driver[64];
    uint8_t mac[6];
    uint32_t link_speed;   // Mbps; UINT32_MAX when unknown
    uint8_t link_up;
    uint8_t link_full_duplex;
    uint8_t link_autoneg;
    uint8_t promiscuous;   // 1 on, 0 off, 0xFF unknown
    uint16_t nb_rx_queues;
    uint16_t nb_tx_queues;
    uint16_t mtu;
    int32_t socket_id;
};
int cdpdk_port_info(uint16_t port, struct cdpdk_port_info *out);

/// mbuf accessors: struct rte_mbuf is cache-aligned, so Swift sees it as
/// opaque. Inline so the hot path pays no call.
static inline uint32_t cdpdk_mbuf_pkt_len(const void *m) { return ((const struct rte_mbuf *)m)->pkt_len; }
static inline uint16_t cdpdk_mbuf_data_len(const void *m) { return ((const struct rte_mbuf *)m)->data_len; }
static inline void *cdpdk_mbuf_data(void *m) { return rte_pktmbuf_mtod((struct rte_mbuf *)m, void *); }
static inline void *cdpdk_mbuf_next(void *m) { return ((struct rte_mbuf *)m)->next; }

/// Prefetch into all cache levels: mbufs and their data were last written
/// by the primary's lcore, so the first touch here is a cross-core miss.
static inline void cdpdk_prefetch(const void *p) { rte_prefetch0(p); }

/// Entries waiting in a ring (for occupancy metrics).
static inline unsigned cdpdk_ring_count(const void *ring) { return rte_ring_count((const struct rte_ring *)ring); }

/// Ring dequeue on raw pointers (the ring type is opaque to Swift too).
/// `*left` gets the entries still waiting: the loop's backlog, for free.
static inline unsigned cdpdk_ring_dequeue_burst(void *ring, void **objs, unsigned n, unsigned *left)
{
    return rte_ring_sc_dequeue_burst((struct rte_ring *)ring, objs, n, left);
}

static inline uint16_t cdpdk_mbuf_port(const void *m) { return ((const struct rte_mbuf *)m)->port; }
static inline uint16_t cdpdk_mbuf_segments(const void *m) { return ((const struct rte_mbuf *)m)->nb_segs; }

/// rte_bpf_convert takes libpcap's struct bpf_program; this module does not
/// include pcap headers, so the program is passed as an opaque pointer.
struct rte_bpf_prm *cdpdk_bpf_convert(const void *pcap_program);
/// rte_bpf_dump of a converted program to stdout.
void cdpdk_bpf_dump(const struct rte_bpf_prm *prm);

/// Names of every memzone, so Swift can find leftovers of dead captures
/// (rte_memzone_walk takes a C callback). Calls `visit(name, context)`.
void cdpdk_memzone_names(void (*visit)(const char *name, void *context), void *context);

/// rte_mempool_free for a pool another (dead) process created. Its memory
/// chunks carry a free callback pointer valid only in the creator's address
/// space, so the chunks' memzones are freed here directly instead.
void cdpdk_mempool_free_foreign(struct rte_mempool *mp);

/// Worker lcores (--multi). The entry point is a C function pointer with an
/// opaque argument, which Swift provides from a non-capturing closure.
int cdpdk_launch(unsigned lcore, int (*entry)(void *), void *arg);
int cdpdk_wait(unsigned lcore);
/// True while the lcore still runs its entry point.
bool cdpdk_lcore_running(unsigned lcore);
/// Lcore ids EAL gave us, excluding the main one (fills up to `max`).
unsigned cdpdk_worker_lcores(unsigned *ids, unsigned max);

/// rte_pdump_enable/disable go through rte_mp_request_sync, which refuses a
/// second request of the same name while one is pending (EEXIST): workers
/// stopping at once must take turns.
void cdpdk_control_lock(void);
void cdpdk_control_unlock(void);

/// Cross-worker control without locks: a stop flag the main lcore raises,
/// and a packet budget (-c) that workers draw from once per burst.
void cdpdk_workers_reset(uint64_t packet_budget);
void cdpdk_workers_request_stop(void);
int cdpdk_workers_stop_requested(void);
/// Takes up to `wanted` packets from the budget; returns how many it got.
uint64_t cdpdk_workers_take_budget(uint64_t wanted);

/// rte_pktmbuf_free_bulk on raw pointers dequeued from a ring.
void cdpdk_free_mbufs(void **objs, unsigned count);

#endif
