/*
 * mini-primary: the smallest DPDK primary that serves pdump, used by the
 * integration tests as a primary whose rte_mempool_ops_table lives in
 * librte_mempool.so: built with -fPIC and without DPDK's inline mempool
 * functions, it never references the table directly, so the linker makes
 * no copy relocation (Debian's dpdk-testpmd has one).
 *
 * It forwards net_null0 rx to its own tx until SIGINT/SIGTERM. With
 * MINI_PRIMARY_NO_PDUMP=1 in its environment it never calls
 * rte_pdump_init(): a primary that cannot serve captures, of whatever
 * release it is built against.
 */
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_pdump.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

static volatile sig_atomic_t quit;
static void on_signal(int sig) { (void)sig; quit = 1; }

int main(int argc, char **argv)
{
    struct rte_eth_conf conf = {0};
    struct rte_mbuf *burst[32];
    struct rte_mempool *pool;
    uint16_t port = 0;

    if (rte_eal_init(argc, argv) < 0)
        return 1;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    if (getenv("MINI_PRIMARY_NO_PDUMP") == NULL && rte_pdump_init() < 0)
        return 1;
    if (rte_eth_dev_count_avail() < 1)
        return 1;
    pool = rte_pktmbuf_pool_create("mini_pool", 4095, 32, 0, RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
    if (pool == NULL || rte_eth_dev_configure(port, 1, 1, &conf) < 0 ||
        rte_eth_rx_queue_setup(port, 0, 256, rte_socket_id(), NULL, pool) < 0 ||
        rte_eth_tx_queue_setup(port, 0, 256, rte_socket_id(), NULL) < 0 ||
        rte_eth_dev_start(port) < 0)
        return 1;
    printf("mini-primary: forwarding\n");
    fflush(stdout);
    while (!quit) {
        uint16_t n = rte_eth_rx_burst(port, 0, burst, 32);
        uint16_t sent = rte_eth_tx_burst(port, 0, burst, n);
        if (sent < n) /* the bulk free is a library call, not an inline */
            rte_pktmbuf_free_bulk(&burst[sent], n - sent);
    }
    rte_eth_dev_stop(port);
    if (getenv("MINI_PRIMARY_NO_PDUMP") == NULL)
        rte_pdump_uninit();
    rte_eal_cleanup();
    return 0;
}
