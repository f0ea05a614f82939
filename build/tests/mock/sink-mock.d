build/tests/mock/sink-mock.o: tests/mock/sink-mock.c include/alloc-util.h \
 include/macro.h include/dynbuf.h include/fd-util.h agent/options.h \
 include/collector.h agent/policy.h include/time-util.h \
 tests/mock/sink-mock.h include/collect-ctx.h include/log.h \
 include/finding.h include/sink.h include/strv.h
include/alloc-util.h:
include/macro.h:
include/dynbuf.h:
include/fd-util.h:
agent/options.h:
include/collector.h:
agent/policy.h:
include/time-util.h:
tests/mock/sink-mock.h:
include/collect-ctx.h:
include/log.h:
include/finding.h:
include/sink.h:
include/strv.h:
