build/agent/time-util.o: agent/time-util.c include/parse-util.h \
 include/time-util.h
include/parse-util.h:
include/time-util.h:
