#ifndef SWIFT_KAFKA_CLIBRDKAFKA_SHIM_H
#define SWIFT_KAFKA_CLIBRDKAFKA_SHIM_H

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#ifdef __linux__
#include <sys/prctl.h>
#endif

/* Names the calling thread (prctl is variadic, so Swift cannot call it directly). */
static inline void swift_kafka_set_thread_name(const char *name) {
#ifdef __linux__
    prctl(PR_SET_NAME, name, 0, 0, 0);
#else
    (void)name;
#endif
}

#endif
