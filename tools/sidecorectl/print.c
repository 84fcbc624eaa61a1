// SPDX-License-Identifier: GPL-2.0
/*
 * Text and JSON output from the same calls (see print.h). JSON strings are
 * escaped and kept valid UTF-8; text strings lose their control characters.
 *
 * Copyright (C) 2026 The vhost-sidecore authors
 */

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "print.h"

#define PR_MAX_DEPTH	16

static bool pr_json;
static bool pr_pretty;
static int pr_depth;
/* Per open container: its closing character, and whether it is empty. */
static char pr_closer[PR_MAX_DEPTH + 1];
static bool pr_empty[PR_MAX_DEPTH + 1];

void pr_init(bool json, bool pretty)
{
	pr_json = json;
	pr_pretty = json && pretty;
	pr_depth = 0;
}

bool pr_is_json(void)
{
	return pr_json;
}

static void pr_indent(int depth)
{
	int i;

	for (i = 0; i < depth; i++)
		fputs("  ", stdout);
}

/* Length of the valid UTF-8 sequence at @p, 0 if it is not one. */
static int utf8_len(const unsigned char *p)
{
	unsigned int cp, min;
	int n, i;

	if (p[0] < 0x80)
		return 1;
	if ((p[0] & 0xe0) == 0xc0) {
		n = 2;
		cp = p[0] & 0x1f;
		min = 0x80;
	} else if ((p[0] & 0xf0) == 0xe0) {
		n = 3;
		cp = p[0] & 0x0f;
		min = 0x800;
	} else if ((p[0] & 0xf8) == 0xf0) {
		n = 4;
		cp = p[0] & 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	for (i = 1; i < n; i++) {
		/* A NUL fails here too: no read past the end. */
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

static void json_string(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	int n;

	putchar('"');
	while (*p) {
		switch (*p) {
		case '"':
			fputs("\\\"", stdout);
			break;
		case '\\':
			fputs("\\\\", stdout);
			break;
		case '\b':
			fputs("\\b", stdout);
			break;
		case '\f':
			fputs("\\f", stdout);
			break;
		case '\n':
			fputs("\\n", stdout);
			break;
		case '\r':
			fputs("\\r", stdout);
			break;
		case '\t':
			fputs("\\t", stdout);
			break;
		default:
			if (*p < 0x20) {
				printf("\\u%04x", *p);
				break;
			}
			n = utf8_len(p);
			if (!n) {
				/* Not UTF-8: the replacement character. */
				fputs("\\ufffd", stdout);
				break;
			}
			fwrite(p, 1, n, stdout);
			p += n;
			continue;
		}
		p++;
	}
	putchar('"');
}

/* Separator, indentation and member name before a JSON value. */
static void json_member(const char *key)
{
	if (!pr_depth)
		return;
	if (!pr_empty[pr_depth])
		putchar(',');
	pr_empty[pr_depth] = false;
	if (pr_pretty) {
		putchar('\n');
		pr_indent(pr_depth);
	}
	if (pr_closer[pr_depth] == '}') {
		json_string(key ? key : "");
		fputs(pr_pretty ? ": " : ":", stdout);
	}
}

static void json_open(const char *key, char open, char close)
{
	json_member(key);
	putchar(open);
	if (pr_depth < PR_MAX_DEPTH) {
		pr_depth++;
		pr_closer[pr_depth] = close;
		pr_empty[pr_depth] = true;
	}
}

static void json_close(void)
{
	if (!pr_depth)
		return;
	if (pr_pretty && !pr_empty[pr_depth]) {
		putchar('\n');
		pr_indent(pr_depth - 1);
	}
	putchar(pr_closer[pr_depth]);
	if (!--pr_depth)
		putchar('\n');
}

void pr_open_object(const char *key)
{
	if (pr_json)
		json_open(key, '{', '}');
}

void pr_close_object(void)
{
	if (pr_json)
		json_close();
}

void pr_open_array(const char *key)
{
	if (pr_json)
		json_open(key, '[', ']');
}

void pr_close_array(void)
{
	if (pr_json)
		json_close();
}

void pr_finish(void)
{
	while (pr_json && pr_depth)
		json_close();
}

void pr_uint(const char *key, const char *fmt, unsigned long long v)
{
	if (pr_json) {
		if (key) {
			json_member(key);
			printf("%llu", v);
		}
	} else if (fmt) {
		printf(fmt, v);
	}
}

void pr_int(const char *key, const char *fmt, long long v)
{
	if (pr_json) {
		if (key) {
			json_member(key);
			printf("%lld", v);
		}
	} else if (fmt) {
		printf(fmt, v);
	}
}

void pr_float(const char *key, const char *fmt, double v)
{
	if (pr_json) {
		if (key) {
			json_member(key);
			if (isfinite(v))
				printf("%.2f", v);
			else
				fputs("null", stdout);
		}
	} else if (fmt) {
		printf(fmt, v);
	}
}

/* @s without control characters, for a terminal; NULL if out of memory. */
static char *text_clean(const char *s)
{
	char *t = strdup(s);
	char *p;

	if (!t)
		return NULL;
	for (p = t; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return t;
}

void pr_string(const char *key, const char *fmt, const char *s)
{
	char *t;

	if (pr_json) {
		if (key) {
			json_member(key);
			json_string(s);
		}
	} else if (fmt) {
		t = text_clean(s);
		printf(fmt, t ? t : "?");
		free(t);
	}
}

void pr_flag(const char *key, const char *text, bool v)
{
	if (pr_json) {
		if (key) {
			json_member(key);
			fputs(v ? "true" : "false", stdout);
		}
	} else if (text && v) {
		fputs(text, stdout);
	}
}

void pr_null(const char *key, const char *text)
{
	if (pr_json) {
		if (key) {
			json_member(key);
			fputs("null", stdout);
		}
	} else if (text) {
		fputs(text, stdout);
	}
}

void pr_text(const char *fmt, ...)
{
	va_list ap;

	if (pr_json)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}
