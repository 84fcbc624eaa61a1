/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Minimal TAP output for our C tests (kselftest conventions): one
 * "ok N name" / "not ok N name" line per check, "# " for diagnostics,
 * exit 0 when everything passed, 1 on any failure, 4 when skipped.
 *
 * A test declares its plan with ktap_header(N); the "1..N" line comes out
 * just before the first result, so that the test can still skip as a
 * whole (ktap_exit_skip: "1..0 # SKIP reason") until it has printed one.
 * ktap_header(0) prints the plan at the end (ktap_finish), counted.
 * ktap_finish() fails a test whose results do not match its plan, and
 * selftests/run_tests.sh fails a test that printed no plan at all.
 */
#ifndef VSC_KTAP_H
#define VSC_KTAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#define KSFT_PASS 0
#define KSFT_FAIL 1
#define KSFT_SKIP 4

struct ktap_state {
	int planned;
	int plan_shown;
	int num;
	int fail;
	int skip;
};

extern struct ktap_state ktap;

#define KTAP_DEFINE_STATE struct ktap_state ktap

static inline void ktap_header(int planned)
{
	ktap.planned = planned;
	printf("TAP version 13\n");
	fflush(stdout);
}

static inline void ktap_show_plan(void)
{
	if (ktap.plan_shown)
		return;
	ktap.plan_shown = 1;
	if (ktap.planned > 0)
		printf("1..%d\n", ktap.planned);
}

static inline void __attribute__((format(printf, 1, 2)))
ktap_diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static inline void __attribute__((format(printf, 2, 3)))
ktap_result(int ok, const char *fmt, ...)
{
	va_list ap;

	ktap_show_plan();
	ktap.num++;
	if (!ok)
		ktap.fail++;
	printf("%sok %d ", ok ? "" : "not ", ktap.num);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static inline void __attribute__((format(printf, 1, 2)))
ktap_skip(const char *fmt, ...)
{
	va_list ap;

	ktap_show_plan();
	ktap.num++;
	ktap.skip++;
	printf("ok %d # SKIP ", ktap.num);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/*
 * A check that failed because of a known bug outside this project (named
 * in the reason): "ok N name # XFAIL reason", as kselftest's
 * ksft_test_result_xfail() prints it. Only for a failure already seen.
 */
static inline void __attribute__((format(printf, 2, 3)))
ktap_xfail(const char *reason, const char *fmt, ...)
{
	va_list ap;

	ktap_show_plan();
	ktap.num++;
	printf("ok %d ", ktap.num);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(" # XFAIL %s\n", reason);
	fflush(stdout);
}

/* Print the plan if it was not known up front; return the exit code. */
static inline int ktap_finish(void)
{
	if (ktap.planned <= 0) {
		printf("1..%d\n", ktap.num);
	} else {
		ktap_show_plan();
		if (ktap.planned != ktap.num) {
			printf("# planned %d checks, ran %d\n", ktap.planned,
			       ktap.num);
			ktap.fail++;
		}
	}
	fflush(stdout);
	if (ktap.fail)
		return KSFT_FAIL;
	if (ktap.num && ktap.skip == ktap.num)
		return KSFT_SKIP;
	return KSFT_PASS;
}

/*
 * Skip the whole program: "1..0 # SKIP reason", exit 4. Only before the
 * first result: a test that has started and then gives up has failed.
 */
static inline void __attribute__((noreturn, format(printf, 1, 2)))
ktap_exit_skip(const char *fmt, ...)
{
	va_list ap;

	if (ktap.num)
		printf("# giving up after %d checks: ", ktap.num);
	else
		printf("1..0 # SKIP ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	exit(ktap.num ? KSFT_FAIL : KSFT_SKIP);
}

#define KTAP_EXPECT(cond, ...)	ktap_result(!!(cond), __VA_ARGS__)

#endif /* VSC_KTAP_H */
