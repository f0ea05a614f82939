build/agent/dynbuf.o: agent/dynbuf.c include/alloc-util.h include/macro.h \
 include/dynbuf.h
include/alloc-util.h:
include/macro.h:
include/dynbuf.h:
