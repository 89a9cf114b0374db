/* kafka-mock-cluster: librdkafka's built-in mock Kafka cluster as a process
   of its own, for the Kafka output's tests (Debian has no Kafka broker).
   Listens on loopback, prints its bootstrap address on the first line of
   stdout, then takes signals:
     SIGUSR1  every broker drops its connections and refuses new ones
     SIGUSR2  brokers accept connections again
     SIGTERM  exit
   Usage: kafka-mock-cluster BROKERS PARTITIONS [TOPIC ...]
   (the topics are created with PARTITIONS partitions; others are created
   on first use). Build: cc -o kafka-mock-cluster kafka-mock-cluster.c -lrdkafka */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t wanted_state = 1, stop = 0;
static void on_signal(int sig) {
    if (sig == SIGUSR1) wanted_state = 0;
    else if (sig == SIGUSR2) wanted_state = 1;
    else stop = 1;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s BROKERS PARTITIONS [TOPIC ...]\n", argv[0]);
        return 2;
    }
    int brokers = atoi(argv[1]), partitions = atoi(argv[2]);
    char error[512];
    signal(SIGUSR1, on_signal);
    signal(SIGUSR2, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "3", error, sizeof error);
    /* The mock cluster lives on a client instance's threads; this one only hosts it. */
    rd_kafka_t *host = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
    if (!host) {
        fprintf(stderr, "kafka-mock-cluster: %s\n", error);
        return 1;
    }
    rd_kafka_mock_cluster_t *cluster = rd_kafka_mock_cluster_new(host, brokers);
    if (!cluster) {
        fprintf(stderr, "kafka-mock-cluster: cannot start the mock cluster\n");
        return 1;
    }
    for (int i = 3; i < argc; i++) {
        rd_kafka_resp_err_t status = rd_kafka_mock_topic_create(cluster, argv[i], partitions, 1);
        if (status) {
            fprintf(stderr, "kafka-mock-cluster: topic %s: %s\n", argv[i], rd_kafka_err2str(status));
            return 1;
        }
    }
    printf("%s\n", rd_kafka_mock_cluster_bootstraps(cluster));
    fflush(stdout);
    int state = 1;
    while (!stop) {
        if (state != wanted_state) {
            state = wanted_state;
            for (int id = 1; id <= brokers; id++) {
                if (state) rd_kafka_mock_broker_set_up(cluster, id);
                else rd_kafka_mock_broker_set_down(cluster, id);
            }
            fprintf(stderr, "kafka-mock-cluster: brokers %s\n", state ? "up" : "down");
        }
        usleep(20000);
    }
    rd_kafka_mock_cluster_destroy(cluster);
    rd_kafka_destroy(host);
    return 0;
}
