/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One set of print calls for text and JSON output: each call names the
 * JSON member and gives the text format; the mode picked at start-up
 * decides which one is written.
 *
 * Copyright (C) 2026 The vhost-sidecore authors
 */
#ifndef SIDECORECTL_PRINT_H
#define SIDECORECTL_PRINT_H

#include <stdbool.h>

/*
 * JSON or text; with @pretty, JSON is indented. Several top-level values
 * may follow each other (one line each without @pretty: NDJSON).
 */
void pr_init(bool json, bool pretty);
bool pr_is_json(void);

/*
 * In every call, @key is the JSON member name (NULL inside an array or at
 * the top level) and @fmt the text format with one conversion of the
 * value's type (%llu, %lld, %f, %s). A NULL @fmt prints nothing in text
 * mode; pr_text() prints nothing in JSON mode.
 */
void pr_open_object(const char *key);
void pr_close_object(void);
void pr_open_array(const char *key);
void pr_close_array(void);
void pr_uint(const char *key, const char *fmt, unsigned long long v);
void pr_int(const char *key, const char *fmt, long long v);
void pr_float(const char *key, const char *fmt, double v);
void pr_string(const char *key, const char *fmt, const char *s);
/* JSON: a boolean always; text: @text only when @v is true. */
void pr_flag(const char *key, const char *text, bool v);
/*
 * A member that does not apply here, or that the kernel did not send:
 * JSON null, so that an object's members are always the same; @text in
 * text mode (NULL: nothing).
 */
void pr_null(const char *key, const char *text);
void pr_text(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Close whatever is still open, so that an error leaves valid JSON. */
void pr_finish(void);

#endif /* SIDECORECTL_PRINT_H */
