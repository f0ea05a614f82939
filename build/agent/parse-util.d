build/agent/parse-util.o: agent/parse-util.c include/macro.h \
 include/parse-util.h include/time-util.h
include/macro.h:
include/parse-util.h:
include/time-util.h:
