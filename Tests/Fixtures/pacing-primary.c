/*
 * pacing-primary: a DPDK primary that serves pdump and transmits a pcap's
 * packets on net_null0 at a set packet rate, LOOPS times, for measuring
 * live analysis on new traffic (Scripts/bench-live.sh).
 *
 * Each loop is new connections: loop k XORs k into the 2nd and 3rd bytes
 * of every IPv4 address (a.B.C.d) (bytes 12 and 13 of IPv6 ones), the same way for
 * both ends, so the loop's flows keep their shape under new 5-tuples, and
 * patches the IPv4 header and TCP/UDP checksums to match (RFC 1624). Only
 * Ethernet captures (classic pcap, either byte order, us or ns) are read.
 *
 *   pacing-primary EAL-ARGS -- PCAP RATE LOOPS [START_FILE [QUEUES]]
 *
 * With QUEUES tx queues (default 1), loop k goes out on queue k mod QUEUES,
 * so `watch --multi` (one worker per queue index) splits the load between
 * its workers, each loop whole on one of them. START_FILE "-" is none.
 *
 * RATE is packets per second (0: as fast as it can). With START_FILE, it
 * waits for that file to exist before sending (a capture attaches first).
 * It prints "pacing-primary: ready" after initialising, "pacing-primary:
 * sent N packets in S seconds" when done, and keeps serving pdump until
 * SIGINT/SIGTERM, so a capture drains at its own pace.
 */
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_pdump.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t quit;
static void on_signal(int sig) { (void)sig; quit = 1; }

/* One packet of the file, with where its addresses and checksums lie. */
struct packet {
    uint32_t offset;  /* into the file's bytes */
    uint16_t length;
    uint16_t l3;      /* offset of the IP header, 0: not IP */
    uint8_t ipv6;
    uint16_t l4csum;  /* offset of the TCP/UDP checksum, 0: none to patch */
};

static uint8_t *bytes;
static struct packet *packets;
static uint32_t count;

static uint32_t swap32(uint32_t v, int swapped) { return swapped ? __builtin_bswap32(v) : v; }

static void locate(struct packet *p)
{
    const uint8_t *b = bytes + p->offset;
    uint32_t at = 12, len = p->length;
    uint16_t type;

    p->l3 = 0;
    p->l4csum = 0;
    if (len < 14)
        return;
    type = (uint16_t)(b[12] << 8 | b[13]);
    while ((type == 0x8100 || type == 0x88A8) && at + 6 <= len) {
        at += 4;
        type = (uint16_t)(b[at] << 8 | b[at + 1]);
    }
    at += 2;
    if (type == 0x0800 && at + 20 <= len && (b[at] >> 4) == 4) {
        uint32_t ihl = (uint32_t)(b[at] & 0x0F) * 4;
        int first = ((b[at + 6] & 0x1F) | b[at + 7]) == 0;
        p->l3 = (uint16_t)at;
        if (first && b[at + 9] == 6 && at + ihl + 18 <= len)
            p->l4csum = (uint16_t)(at + ihl + 16);
        else if (first && b[at + 9] == 17 && at + ihl + 8 <= len &&
                 (b[at + ihl + 6] | b[at + ihl + 7]) != 0) /* 0: no UDP checksum */
            p->l4csum = (uint16_t)(at + ihl + 6);
    } else if (type == 0x86DD && at + 40 <= len && (b[at] >> 4) == 6) {
        p->l3 = (uint16_t)at;
        p->ipv6 = 1;
        /* Extension headers are not walked: TCP/UDP right after the header only. */
        if (b[at + 6] == 6 && at + 40 + 18 <= len)
            p->l4csum = (uint16_t)(at + 40 + 16);
        else if (b[at + 6] == 17 && at + 40 + 8 <= len)
            p->l4csum = (uint16_t)(at + 40 + 6);
    }
}

static int load(const char *path)
{
    FILE *file = fopen(path, "rb");
    long size;
    uint32_t magic, linktype, at = 24, capacity = 1024;
    int swapped;

    if (file == NULL || fseek(file, 0, SEEK_END) != 0 || (size = ftell(file)) < 24 || fseek(file, 0, SEEK_SET) != 0)
        return -1;
    bytes = malloc((size_t)size);
    packets = malloc(capacity * sizeof(*packets));
    if (bytes == NULL || packets == NULL || fread(bytes, 1, (size_t)size, file) != (size_t)size)
        return -1;
    fclose(file);
    memcpy(&magic, bytes, 4);
    swapped = magic == 0xD4C3B2A1 || magic == 0x4D3CB2A1;
    if (!swapped && magic != 0xA1B2C3D4 && magic != 0xA1B23C4D)
        return -1;
    memcpy(&linktype, bytes + 20, 4);
    if ((swap32(linktype, swapped) & 0x0FFFFFFF) != 1)
        return -1;
    while (at + 16 <= (uint32_t)size) {
        uint32_t caplen;
        memcpy(&caplen, bytes + at + 8, 4);
        caplen = swap32(caplen, swapped);
        if (caplen > (uint32_t)size - at - 16)
            break; /* a cut last record */
        if (caplen > RTE_MBUF_DEFAULT_DATAROOM) {
            fprintf(stderr, "pacing-primary: packet %u is %u bytes, more than one mbuf holds (%u)\n",
                    count + 1, caplen, (unsigned)RTE_MBUF_DEFAULT_DATAROOM);
            return -1;
        }
        if (count == capacity) {
            capacity *= 2;
            packets = realloc(packets, capacity * sizeof(*packets));
            if (packets == NULL)
                return -1;
        }
        packets[count] = (struct packet){ .offset = at + 16, .length = (uint16_t)caplen };
        locate(&packets[count]);
        count++;
        at += 16 + caplen;
    }
    return count > 0 ? 0 : -1;
}

/* RFC 1624: the checksum at csum after one 16-bit word changed from old to new. */
static void patch(uint8_t *csum, uint16_t old, uint16_t new)
{
    uint32_t sum = (uint16_t)~(csum[0] << 8 | csum[1]);
    sum += (uint16_t)~old;
    sum += new;
    sum = (sum & 0xFFFF) + (sum >> 16);
    sum = (sum & 0xFFFF) + (sum >> 16);
    sum = (uint16_t)~sum;
    csum[0] = (uint8_t)(sum >> 8);
    csum[1] = (uint8_t)sum;
}

/* XORs mask into the 16-bit word at (even offset within the header, as
 * checksums sum them), fixing the checksums that cover it. */
static void move(uint8_t *b, const struct packet *p, uint32_t at, uint16_t mask, int in_ip_header)
{
    uint16_t old = (uint16_t)(b[at] << 8 | b[at + 1]), new = old ^ mask;
    if (mask == 0)
        return;
    b[at] = (uint8_t)(new >> 8);
    b[at + 1] = (uint8_t)new;
    if (in_ip_header)
        patch(b + p->l3 + 10, old, new);
    if (p->l4csum)
        patch(b + p->l4csum, old, new);
}

static void rewrite(uint8_t *b, const struct packet *p, uint32_t loop)
{
    uint16_t mask = (uint16_t)loop;
    if (p->l3 == 0 || mask == 0)
        return;
    if (p->ipv6) {
        move(b, p, p->l3 + 8 + 12, mask, 0);
        move(b, p, p->l3 + 24 + 12, mask, 0);
    } else {
        /* Octets 2 and 3 (a.B.C.d): the low byte of one word, the high byte of the next. */
        move(b, p, p->l3 + 12, mask >> 8, 1);
        move(b, p, p->l3 + 14, (uint16_t)(mask << 8), 1);
        move(b, p, p->l3 + 16, mask >> 8, 1);
        move(b, p, p->l3 + 18, (uint16_t)(mask << 8), 1);
    }
}

int main(int argc, char **argv)
{
    struct rte_eth_conf conf = {0};
    struct rte_mempool *pool;
    struct rte_mbuf *burst[32];
    uint64_t rate, loops, sent = 0, total, hz, start, now;
    uint32_t next = 0, loop = 0;
    uint16_t queues = 1, queue;
    const char *start_file;
    int eal = rte_eal_init(argc, argv);

    if (eal < 0)
        return 1;
    argc -= eal;
    argv += eal;
    if (argc < 4 || argc > 6) {
        fprintf(stderr, "usage: pacing-primary EAL-ARGS -- PCAP RATE LOOPS [START_FILE [QUEUES]]\n");
        return 64;
    }
    if (load(argv[1]) != 0) {
        fprintf(stderr, "pacing-primary: cannot use %s (an Ethernet pcap of packets up to %u bytes)\n", argv[1],
                (unsigned)RTE_MBUF_DEFAULT_DATAROOM);
        return 1;
    }
    rate = strtoull(argv[2], NULL, 10);
    loops = strtoull(argv[3], NULL, 10);
    if (loops > 65535) {
        fprintf(stderr, "pacing-primary: at most 65535 loops (each one's addresses must differ)\n");
        return 64;
    }
    start_file = argc >= 5 && strcmp(argv[4], "-") != 0 ? argv[4] : NULL;
    if (argc == 6)
        queues = (uint16_t)strtoul(argv[5], NULL, 10);
    if (queues < 1 || queues > 16) {
        fprintf(stderr, "pacing-primary: 1 to 16 queues\n");
        return 64;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    if (rte_pdump_init() < 0 || rte_eth_dev_count_avail() < 1)
        return 1;
    pool = rte_pktmbuf_pool_create("pacing_pool", 8191, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
    if (pool == NULL || rte_eth_dev_configure(0, 1, queues, &conf) < 0 ||
        rte_eth_rx_queue_setup(0, 0, 256, rte_socket_id(), NULL, pool) < 0)
        return 1;
    for (queue = 0; queue < queues; queue++)
        if (rte_eth_tx_queue_setup(0, queue, 512, rte_socket_id(), NULL) < 0)
            return 1;
    if (rte_eth_dev_start(0) < 0)
        return 1;
    printf("pacing-primary: ready, %u packets, %lu pps, %lu loops, %u queues\n", count, (unsigned long)rate,
           (unsigned long)loops, (unsigned)queues);
    fflush(stdout);
    while (start_file != NULL && !quit && access(start_file, F_OK) != 0)
        usleep(10000);

    total = loops * count;
    hz = rte_get_tsc_hz();
    start = rte_get_tsc_cycles();
    while (!quit && sent < total) {
        uint64_t due = total, n, i;
        now = rte_get_tsc_cycles();
        if (rate != 0) {
            /* Packets due by now since the start: no drift from rounding per burst. */
            due = (uint64_t)((double)(now - start) / (double)hz * (double)rate);
            if (due > total)
                due = total;
        }
        if (due <= sent)
            continue;
        /* A burst ends at the loop's end: the next loop leaves by the next queue. */
        n = RTE_MIN(RTE_MIN(due - sent, (uint64_t)RTE_DIM(burst)), (uint64_t)(count - next));
        queue = (uint16_t)(loop % queues);
        if (rte_pktmbuf_alloc_bulk(pool, burst, (unsigned)n) != 0)
            continue;
        for (i = 0; i < n; i++) {
            const struct packet *p = &packets[next];
            uint8_t *data = (uint8_t *)rte_pktmbuf_append(burst[i], p->length);
            memcpy(data, bytes + p->offset, p->length);
            rewrite(data, p, loop);
            if (++next == count) {
                next = 0;
                loop++;
            }
        }
        /* net_null takes everything; a refusal is retried as not sent. */
        {
            uint16_t done = rte_eth_tx_burst(0, queue, burst, (uint16_t)n);
            if (done < n)
                rte_pktmbuf_free_bulk(&burst[done], (unsigned)(n - done));
            sent += done;
            if (done < n) {
                /* Step back to the first unsent packet. */
                uint64_t back = n - done;
                while (back--) {
                    if (next == 0) {
                        next = count;
                        loop--;
                    }
                    next--;
                }
            }
        }
    }
    now = rte_get_tsc_cycles();
    printf("pacing-primary: sent %lu packets in %.3f seconds\n", (unsigned long)sent, (double)(now - start) / (double)hz);
    fflush(stdout);
    while (!quit)
        usleep(100000);
    rte_eth_dev_stop(0);
    rte_pdump_uninit();
    rte_eal_cleanup();
    return 0;
}
