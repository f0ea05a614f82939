build/agent/report.o: agent/report.c include/alloc-util.h include/macro.h \
 include/finding.h include/time-util.h agent/report.h include/strv.h
include/alloc-util.h:
include/macro.h:
include/finding.h:
include/time-util.h:
agent/report.h:
include/strv.h:
