/*
 * rfc3339: times as the API writes them, RFC 3339 in UTC with seconds,
 * "2026-12-01T10:00:00Z".  Parsing is strptime(3)'s; a time that does not
 * format back to the same text (a 31st of April, a field out of range,
 * trailing text) is refused rather than silently normalised.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "rfc3339.h"

#define RFC3339_LEN	20	/* "2026-12-01T10:00:00Z" */

int
rfc3339_parse(const char *text, int64_t *t)
{
	char back[32];
	struct tm tm;
	const char *end;
	time_t v;

	if (strlen(text) != RFC3339_LEN)
		return EINVAL;
	memset(&tm, 0, sizeof(tm));
	end = strptime(text, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (end == NULL || *end != '\0')
		return EINVAL;
	if ((v = timegm(&tm)) == (time_t)-1 || v < 0)
		return EINVAL;
	rfc3339_format(v, back, sizeof(back));
	if (strcmp(back, text) != 0)
		return EINVAL;
	*t = v;
	return 0;
}

void
rfc3339_format(int64_t t, char *buf, size_t len)
{
	time_t v = (time_t)t;
	struct tm tm;

	if (gmtime_r(&v, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "invalid");
}
