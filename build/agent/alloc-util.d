build/agent/alloc-util.o: agent/alloc-util.c include/alloc-util.h \
 include/macro.h include/parse-util.h include/time-util.h
include/alloc-util.h:
include/macro.h:
include/parse-util.h:
include/time-util.h:
