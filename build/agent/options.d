build/agent/options.o: agent/options.c include/alloc-util.h \
 include/macro.h include/dynbuf.h agent/options.h include/collector.h \
 agent/policy.h include/time-util.h include/parse-util.h include/strv.h
include/alloc-util.h:
include/macro.h:
include/dynbuf.h:
agent/options.h:
include/collector.h:
agent/policy.h:
include/time-util.h:
include/parse-util.h:
include/strv.h:
