build/agent/policy-yaml.o: agent/policy-yaml.c include/alloc-util.h \
 include/macro.h include/dynbuf.h include/fd-util.h include/parse-util.h \
 include/time-util.h agent/policy.h include/strv.h
include/alloc-util.h:
include/macro.h:
include/dynbuf.h:
include/fd-util.h:
include/parse-util.h:
include/time-util.h:
agent/policy.h:
include/strv.h:
