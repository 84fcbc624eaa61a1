SRCS_test_memtable := $(TOP)/vhost_sidecore/memtable.c
test_memtable: $(TOP)/vhost_sidecore/memtable.c $(TOP)/vhost_sidecore/memtable.h
