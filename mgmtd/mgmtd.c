/*
 * mgmtd: what every module of the daemon shares: the clocks and the error
 * that a failed operation hands back to the API.
 */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "mgmtd.h"

int64_t
mgmtd_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec;
}

uint64_t
mgmtd_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The length of the valid UTF-8 sequence at s (RFC 3629), or 0. */
static size_t
mgmtd_utf8_len(const unsigned char *s)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		/* No overlong forms, no UTF-16 surrogates. */
		lo = c == 0xe0 ? 0xa0 : 0x80;
		hi = c == 0xed ? 0x9f : 0xbf;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		/* No overlong forms, nothing past U+10FFFF. */
		lo = c == 0xf0 ? 0x90 : 0x80;
		hi = c == 0xf4 ? 0x8f : 0xbf;
	} else
		return 0;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

/*
 * Replaces with '?' each byte of s that is not part of valid UTF-8, and
 * each control character.  A message quotes what a client sent, cut at a
 * byte count ("%.64s") and at the end of the buffer, and jansson's own
 * error text quotes the bad token: any of them may hold or split a
 * multibyte character, and the API sends the message with json_string(),
 * which refuses invalid UTF-8, so that the error would go out without its
 * message.  Control characters (a field named "a\nb") would reach the
 * terminal of whoever prints the message, confcli's user or an operator.
 */
static void
mgmtd_msg_scrub(char *s)
{
	unsigned char *p = (unsigned char *)s;
	size_t n;

	while (*p != '\0') {
		if (*p < 0x20 || *p == 0x7f || (n = mgmtd_utf8_len(p)) == 0)
			*p++ = '?';
		else
			p += n;
	}
}

void
mgmtd_err_set(struct mgmtd_err *e, int status, const char *code,
    const char *fmt, ...)
{
	va_list ap;

	e->status = status;
	e->code = code;
	e->earliest = -1;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	mgmtd_msg_scrub(e->msg);
}
