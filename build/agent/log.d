build/agent/log.o: agent/log.c include/log.h include/macro.h
include/log.h:
include/macro.h:
