#ifndef CSNAPPY_SHIM_H
#define CSNAPPY_SHIM_H
/* Snappy's C API (Debian's libsnappy-dev): block format, as Prometheus
   remote-write requires (not the framed stream format). */
#include <snappy-c.h>
#endif
