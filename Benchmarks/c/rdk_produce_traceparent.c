/*
 * rdk_produce_traceparent: raw librdkafka, each message carrying a 55-byte W3C traceparent header.
 *
 *   rdk_produce_traceparent BOOTSTRAP TOPIC N SIZE [key=value ...]
 *
 * Follows compare.sh's produce contract, so that
 *   compare.sh produce -n 1000000 -s 100 -r 9 -- Benchmarks/c/.bin/rdk_produce_traceparent
 * measures what carrying a trace context costs librdkafka and the broker alone: the C baseline sends the same
 * messages without the header. N messages of SIZE bytes (no key, default partitioner, copied), through
 * rd_kafka_producev with the header, delivery reports counted by dr_msg_cb, rd_kafka_poll every 1,024 messages;
 * the timer runs from the first send (after a metadata request) until rd_kafka_flush returns.
 *
 * Build: cc -O2 -o Benchmarks/c/.bin/rdk_produce_traceparent Benchmarks/c/rdk_produce_traceparent.c -lrdkafka
 */
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static long long delivered, failed;

static void on_report(rd_kafka_t *rk, const rd_kafka_message_t *message, void *opaque) {
        (void)rk;
        (void)opaque;
        if (message->err)
                failed++;
        else
                delivered++;
}

static double seconds(void) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
        if (argc < 5) {
                fprintf(stderr, "usage: %s BOOTSTRAP TOPIC N SIZE [key=value ...]\n", argv[0]);
                return 2;
        }
        const char *topic = argv[2];
        long long count = atoll(argv[3]);
        size_t size = (size_t)atoll(argv[4]);
        char reason[512];
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        if (rd_kafka_conf_set(conf, "bootstrap.servers", argv[1], reason, sizeof reason) != RD_KAFKA_CONF_OK) {
                fprintf(stderr, "%s\n", reason);
                return 1;
        }
        for (int i = 5; i < argc; i++) {
                char *equals = strchr(argv[i], '=');
                if (!equals) {
                        fprintf(stderr, "not key=value: %s\n", argv[i]);
                        return 2;
                }
                *equals = '\0';
                if (rd_kafka_conf_set(conf, argv[i], equals + 1, reason, sizeof reason) != RD_KAFKA_CONF_OK) {
                        fprintf(stderr, "%s\n", reason);
                        return 1;
                }
        }
        rd_kafka_conf_set_dr_msg_cb(conf, on_report);
        rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, reason, sizeof reason);
        if (!rk) {
                fprintf(stderr, "%s\n", reason);
                return 1;
        }
        rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
        const struct rd_kafka_metadata *metadata;
        if (rd_kafka_metadata(rk, 0, rkt, &metadata, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR)
                rd_kafka_metadata_destroy(metadata);
        char *value = malloc(size ? size : 1);
        memset(value, 'v', size);
        static const char traceparent[] = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        double start = seconds();
        for (long long i = 0; i < count; i++) {
                rd_kafka_resp_err_t err;
                while ((err = rd_kafka_producev(rk, RD_KAFKA_V_RKT(rkt), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                                RD_KAFKA_V_VALUE(value, size),
                                                RD_KAFKA_V_HEADER("traceparent", traceparent, 55),
                                                RD_KAFKA_V_END)) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
                        rd_kafka_poll(rk, 1);
                if (err) {
                        fprintf(stderr, "produce: %s\n", rd_kafka_err2str(err));
                        return 1;
                }
                if ((i & 1023) == 0) rd_kafka_poll(rk, 0);
        }
        rd_kafka_flush(rk, 120000);
        double elapsed = seconds() - start;
        printf("produce msgs=%lld bytes=%zu secs=%.3f msgs_per_s=%.0f delivered=%lld failed=%lld header=traceparent\n",
               count, size, elapsed, (double)count / elapsed, delivered, failed);
        free(value);
        rd_kafka_topic_destroy(rkt);
        rd_kafka_destroy(rk);
        return delivered == count ? 0 : 3;
}
