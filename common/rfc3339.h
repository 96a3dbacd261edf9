/*
 * rfc3339: times as mgmtd's API and feed write them: RFC 3339 in UTC with
 * whole seconds, "2026-12-01T10:00:00Z", and nothing else.
 */
#ifndef RFC3339_H
#define RFC3339_H

#include <stddef.h>
#include <stdint.h>

/* Parses text into seconds since the epoch; 0 or EINVAL. */
int	rfc3339_parse(const char *text, int64_t *t);
/* Formats seconds since the epoch into buf (at least 21 bytes). */
void	rfc3339_format(int64_t t, char *buf, size_t len);

#endif
