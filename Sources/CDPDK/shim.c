#include "cdpdk.h"

#include <rte_cycles.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cdpdk_errno(void) { return rte_errno; }

uint32_t cdpdk_headers_version(void) { return RTE_VERSION; }

uint32_t cdpdk_library_version(void)
{
    return RTE_VERSION_NUM(rte_version_year(), rte_version_month(), rte_version_minor(), rte_version_release());
}

uint64_t cdpdk_tsc_cycles(void) { return rte_get_tsc_cycles(); }

bool cdpdk_pcapng_stamps_tsc_cycles(void)
{
#if RTE_VERSION >= RTE_VERSION_NUM(23, 11, 0, 0)
    return true;
#else
    return false;
#endif
}

int cdpdk_pdump_secondary_init(void)
{
#if RTE_VERSION >= RTE_VERSION_NUM(25, 11, 0, 0)
    return rte_pdump_init();
#else
    return 0;
#endif
}

// A bus error inside rte_eal_init means the primary's runtime config is
// shorter than EAL maps it (a crafted or half-written file): EAL reads past
// its end. The handler prints the prepared line and exits 2, as any other
// attach failure; write() and _exit() are async-signal-safe. Only SIGBUS,
// and only during init: a fault anywhere else stays a crash, not a message.
static char bus_fault_line[512];
static size_t bus_fault_length;

static void on_attach_bus_fault(int signal_number)
{
    (void)signal_number;
    ssize_t written = write(STDERR_FILENO, bus_fault_line, bus_fault_length);
    (void)written;
    _exit(2);
}

int cdpdk_eal_init_guarded(int argc, char **argv, const char *line)
{
    bus_fault_length = strlen(line);
    if (bus_fault_length > sizeof(bus_fault_line) - 1)
        bus_fault_length = sizeof(bus_fault_line) - 1;
    memcpy(bus_fault_line, line, bus_fault_length);
    struct sigaction action, previous;
    memset(&action, 0, sizeof(action));
    action.sa_handler = on_attach_bus_fault;
    sigemptyset(&action.sa_mask);
    sigaction(SIGBUS, &action, &previous);
    int status = rte_eal_init(argc, argv);
    sigaction(SIGBUS, &previous, NULL);
    return status;
}

static FILE *log_capture;
static char *log_buffer;
static size_t log_length;

int cdpdk_log_capture_begin(void)
{
    log_capture = open_memstream(&log_buffer, &log_length);
    if (log_capture == NULL)
        return -1;
    return rte_openlog_stream(log_capture);
}

char *cdpdk_log_capture_end(void)
{
    char *copy = NULL;
    rte_openlog_stream(NULL); // back to the default (stderr)
    if (log_capture != NULL) {
        fclose(log_capture);
        log_capture = NULL;
        copy = log_buffer; // ownership passes to the caller
        log_buffer = NULL;
    }
    return copy;
}

struct cdpdk_ops_table_layout cdpdk_ops_table_layout(void)
{
    struct cdpdk_ops_table_layout l = {
        .table_size = sizeof(struct rte_mempool_ops_table),
        .num_ops_offset = offsetof(struct rte_mempool_ops_table, num_ops),
        .ops_offset = offsetof(struct rte_mempool_ops_table, ops),
        .ops_stride = sizeof(struct rte_mempool_ops),
        .name_size = RTE_MEMPOOL_OPS_NAMESIZE,
        .max_ops = RTE_MEMPOOL_MAX_OPS_IDX,
    };
    return l;
}

void *cdpdk_own_ops_table(void) { return &rte_mempool_ops_table; }
void cdpdk_own_ops_table_lock(void) { rte_spinlock_lock(&rte_mempool_ops_table.sl); }
void cdpdk_own_ops_table_unlock(void) { rte_spinlock_unlock(&rte_mempool_ops_table.sl); }
void cdpdk_own_ops_table_set_count(uint32_t count) { rte_mempool_ops_table.num_ops = count; }

// Mirrors the private layout in lib/pdump/rte_pdump.c: rx then tx, each
// [RTE_MAX_ETHPORTS][RTE_MAX_QUEUES_PER_PORT]. Unchanged from 22.11 through
// 25.11 (25.11 appends a memzone pointer after tx, which the length check
// below tolerates); the counters became RTE_ATOMIC in 23.11, which is the
// plain type unless DPDK is built with enable_stdatomic.
static const struct rte_memzone *pdump_stats_zone(void)
{
    static const struct rte_memzone *zone;
    if (zone == NULL)
        zone = rte_memzone_lookup("rte_pdump_stats");
    return zone;
}

bool cdpdk_pdump_stats_available(void) { return pdump_stats_zone() != NULL; }

bool cdpdk_pdump_queue_stats(uint16_t port, uint16_t queue, bool tx,
                             struct rte_pdump_stats *out)
{
    const struct rte_memzone *zone = pdump_stats_zone();
    const size_t per_dir = (size_t)RTE_MAX_ETHPORTS * RTE_MAX_QUEUES_PER_PORT;
    if (zone == NULL || port >= RTE_MAX_ETHPORTS || queue >= RTE_MAX_QUEUES_PER_PORT)
        return false;
    if (zone->len < 2 * per_dir * sizeof(struct rte_pdump_stats))
        return false;
    const struct rte_pdump_stats *base = zone->addr;
    const struct rte_pdump_stats *s =
        &base[(tx ? per_dir : 0) + (size_t)port * RTE_MAX_QUEUES_PER_PORT + queue];
    memset(out, 0, sizeof(*out));
    out->accepted = __atomic_load_n(&s->accepted, __ATOMIC_RELAXED);
    out->filtered = __atomic_load_n(&s->filtered, __ATOMIC_RELAXED);
    out->nombuf = __atomic_load_n(&s->nombuf, __ATOMIC_RELAXED);
    out->ringfull = __atomic_load_n(&s->ringfull, __ATOMIC_RELAXED);
    return true;
}

int cdpdk_port_info(uint16_t port, struct cdpdk_port_info *out)
{
    struct rte_eth_dev_info info;
    struct rte_eth_link link;
    struct rte_ether_addr mac;
    int ret;

    memset(out, 0, sizeof(*out));
    if (!rte_eth_dev_is_valid_port(port))
        return -ENODEV;
    ret = rte_eth_dev_get_name_by_port(port, out->name);
    if (ret != 0)
        return ret;
    ret = rte_eth_dev_info_get(port, &info);
    if (ret != 0)
        return ret;
    if (info.driver_name != NULL)
        snprintf(out->driver, sizeof(out->driver), "%s", info.driver_name);
    out->nb_rx_queues = info.nb_rx_queues;
    out->nb_tx_queues = info.nb_tx_queues;
    if (rte_eth_macaddr_get(port, &mac) == 0)
        memcpy(out->mac, mac.addr_bytes, sizeof(out->mac));
    memset(&link, 0, sizeof(link));
    if (rte_eth_link_get_nowait(port, &link) == 0) {
        out->link_speed = link.link_speed;
        out->link_up = link.link_status;
        out->link_full_duplex = link.link_duplex;
        out->link_autoneg = link.link_autoneg;
    } else {
        out->link_speed = RTE_ETH_SPEED_NUM_UNKNOWN;
    }
    ret = rte_eth_promiscuous_get(port);
    out->promiscuous = ret < 0 ? 0xFF : (uint8_t)ret;
    if (rte_eth_dev_get_mtu(port, &out->mtu) != 0)
        out->mtu = 0;
    out->socket_id = rte_eth_dev_socket_id(port);
    return 0;
}

void cdpdk_free_mbufs(void **objs, unsigned count)
{
    rte_pktmbuf_free_bulk((struct rte_mbuf **)objs, count);
}

struct rte_bpf_prm *cdpdk_bpf_convert(const void *pcap_program)
{
    return rte_bpf_convert((const struct bpf_program *)pcap_program);
}

void cdpdk_bpf_dump(const struct rte_bpf_prm *prm)
{
    rte_bpf_dump(stdout, prm->ins, prm->nb_ins);
    fflush(stdout);
}

struct memzone_visit {
    void (*visit)(const char *, void *);
    void *context;
};

static void memzone_visit_one(const struct rte_memzone *mz, void *arg)
{
    struct memzone_visit *v = arg;
    v->visit(mz->name, v->context);
}

void cdpdk_memzone_names(void (*visit)(const char *name, void *context), void *context)
{
    struct memzone_visit v = { visit, context };
    rte_memzone_walk(memzone_visit_one, &v);
}

void cdpdk_mempool_free_foreign(struct rte_mempool *mp)
{
    /* Sized from the pool itself: RTE_MAX_MEMZONE, the old bound, is a
     * runtime setting since 23.11 (rte_memzone_max_get) and gone from
     * 24.11's headers. Without the array the chunks leak, nothing worse. */
    unsigned cap = mp->nb_mem_chunks, n = 0;
    const struct rte_memzone **chunks = cap > 0 ? calloc(cap, sizeof(*chunks)) : NULL;
    struct rte_mempool_memhdr *hdr;

    STAILQ_FOREACH(hdr, &mp->mem_list, next) {
        /* populate_default's callback frees the chunk's memzone (opaque) */
        if (chunks != NULL && hdr->free_cb != NULL && hdr->opaque != NULL && n < cap)
            chunks[n++] = hdr->opaque;
        hdr->free_cb = NULL;
    }
    rte_mempool_free(mp);
    for (unsigned i = 0; i < n; i++)
        rte_memzone_free(chunks[i]);
    free(chunks);
}

int cdpdk_launch(unsigned lcore, int (*entry)(void *), void *arg)
{
    return rte_eal_remote_launch(entry, arg, lcore);
}

int cdpdk_wait(unsigned lcore) { return rte_eal_wait_lcore(lcore); }

bool cdpdk_lcore_running(unsigned lcore) { return rte_eal_get_lcore_state(lcore) == RUNNING; }

unsigned cdpdk_worker_lcores(unsigned *ids, unsigned max)
{
    unsigned n = 0, lcore;
    RTE_LCORE_FOREACH_WORKER(lcore) {
        if (n < max)
            ids[n++] = lcore;
    }
    return n;
}

static volatile int workers_stop;
static uint64_t workers_budget;

void cdpdk_workers_reset(uint64_t packet_budget)
{
    __atomic_store_n(&workers_budget, packet_budget, __ATOMIC_RELAXED);
    __atomic_store_n(&workers_stop, 0, __ATOMIC_RELEASE);
}

void cdpdk_workers_request_stop(void) { __atomic_store_n(&workers_stop, 1, __ATOMIC_RELEASE); }

int cdpdk_workers_stop_requested(void) { return __atomic_load_n(&workers_stop, __ATOMIC_ACQUIRE); }

uint64_t cdpdk_workers_take_budget(uint64_t wanted)
{
    uint64_t left = __atomic_load_n(&workers_budget, __ATOMIC_RELAXED);
    while (left > 0) {
        uint64_t take = wanted < left ? wanted : left;
        if (__atomic_compare_exchange_n(&workers_budget, &left, left - take, 0,
                                        __ATOMIC_RELAXED, __ATOMIC_RELAXED))
            return take;
    }
    return 0;
}

static pthread_mutex_t control_lock = PTHREAD_MUTEX_INITIALIZER;

void cdpdk_control_lock(void) { pthread_mutex_lock(&control_lock); }
void cdpdk_control_unlock(void) { pthread_mutex_unlock(&control_lock); }
