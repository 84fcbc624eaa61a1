SRCS_test_policy := $(TOP)/manager/policy.c
test_policy: $(TOP)/manager/policy.c $(TOP)/manager/policy.h
