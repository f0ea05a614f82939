build/agent/strv.o: agent/strv.c include/alloc-util.h include/macro.h \
 include/dynbuf.h include/strv.h
include/alloc-util.h:
include/macro.h:
include/dynbuf.h:
include/strv.h:
