build/agent/fd-util.o: agent/fd-util.c include/alloc-util.h \
 include/macro.h include/fd-util.h
include/alloc-util.h:
include/macro.h:
include/fd-util.h:
