#ifndef CKAFKA_SHIM_H
#define CKAFKA_SHIM_H
/* librdkafka (Debian's librdkafka-dev): the Kafka output's producer.
   rd_kafka_producev is variadic and the delivery report arrives through a
   C callback, neither of which Swift can express directly. */
#include <librdkafka/rdkafka.h>
#include <stdint.h>

/* What became of one message: filled in by the delivery report. */
typedef struct {
    int32_t done;     /* 1 once the report arrived */
    int32_t error;    /* rd_kafka_resp_err_t, 0 when delivered */
    int32_t status;   /* rd_kafka_msg_status_t */
    int32_t partition;
} ckafka_report;

static void ckafka_delivered(rd_kafka_t *rk, const rd_kafka_message_t *message, void *opaque) {
    (void)rk;
    (void)opaque;
    ckafka_report *report = (ckafka_report *)message->_private;
    if (!report) return;
    report->error = message->err;
    report->status = rd_kafka_message_status(message);
    report->partition = message->partition;
    report->done = 1;
}

/* librdkafka's own log lines (connection refused every back-off) are not
   printed: the output reports failures itself, once per outage. */
static void ckafka_quiet_log(const rd_kafka_t *rk, int level, const char *facility, const char *message) {
    (void)rk; (void)level; (void)facility; (void)message;
}

static inline void ckafka_conf_callbacks(rd_kafka_conf_t *conf) {
    rd_kafka_conf_set_dr_msg_cb(conf, ckafka_delivered);
    rd_kafka_conf_set_log_cb(conf, ckafka_quiet_log);
}

/* One message, copied by librdkafka; `report` receives its outcome. */
static inline rd_kafka_resp_err_t ckafka_produce(rd_kafka_t *rk, const char *topic, const void *key, size_t key_length,
                                                 const void *value, size_t value_length, ckafka_report *report) {
    return rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                             RD_KAFKA_V_KEY(key, key_length), RD_KAFKA_V_VALUE((void *)value, value_length),
                             RD_KAFKA_V_OPAQUE(report), RD_KAFKA_V_END);
}
#endif
