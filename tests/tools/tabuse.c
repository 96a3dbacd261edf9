/*
 * tabuse: sends a conference port what an attacker or a broken network
 * would, so that tests can check confd drops and counts it while the
 * conference goes on.
 *
 *   tabuse -a ADDR -p PORT -k ROOMKEY -m MODE [-n COUNT] [-s SSRC] [-r PPS]
 *   tabuse -a ADDR -p PORT -k ROOMKEY -m storm -K KIND -r PPS -t SECONDS
 *          [-P PORTS] [-s SSRC] [-b BATCH]
 *
 * Modes:
 *   wrongkey   authentic-looking SRTP from a new SSRC under another key
 *   replay     one valid packet of SSRC (with the room key), sent COUNT times
 *   tamper     valid packets of SSRC at random sequence numbers with one
 *              bit flipped (authentication failures, or too old)
 *   garbage    random datagrams of random length, half with RTP version 2
 *   truncated  valid packets of a new SSRC cut short at random lengths
 *   flood      COUNT packets from random unknown SSRCs, as fast as PPS allows
 *   storm      PPS datagrams a second for SECONDS, with sendmmsg() on
 *              absolute deadlines, spread over ports PORT..PORT+PORTS-1;
 *              KIND says what they are (see tabuse_storm_fill()):
 *                random      random bytes of random length
 *                unknown     RTP from ever new SSRCs with a random tag
 *                known       RTP of SSRC (a participant) with a random tag
 *                rtcp        SRTCP-looking reports from ever new SSRCs
 *                rtcp-known  SRTCP-looking reports of SSRC, random tag
 * Prints how many datagrams it sent; storm prints one JSON line instead:
 * kind, target rate, datagrams sent, send errors, seconds, the rate it
 * reached and the CPU it used, so that a benchmark can tell a flood that
 * confd shed from one the generator could not make.
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "rtp.h"
#include "srtpx.h"

#define TABUSE_POOL		256	/* distinct datagrams of a storm */
#define TABUSE_BATCH		64	/* most datagrams per sendmmsg() */
#define TABUSE_MAX_PORTS	1024

struct tabuse {
	int			 fd;
	struct sockaddr_storage	 to;
	socklen_t		 tolen;
	uint8_t			 key[SRTPX_MAX_MASTER];
	long			 pps;
};

static void
tabuse_send(struct tabuse *t, const uint8_t *b, size_t len)
{
	struct timespec ts;

	(void)sendto(t->fd, b, len, 0, (struct sockaddr *)&t->to, t->tolen);
	if (t->pps > 0) {
		ts.tv_sec = 0;
		ts.tv_nsec = 1000000000L / t->pps;
		nanosleep(&ts, NULL);
	}
}

/* A valid SRTP packet of ssrc with seq, protected by ctx; returns length. */
static size_t
tabuse_packet(struct srtpx *ctx, uint32_t ssrc, uint16_t seq, uint8_t *b)
{
	struct rtp_hdr h;
	size_t len;

	memset(&h, 0, sizeof(h));
	h.pt = 111;
	h.seq = seq;
	h.ts = (uint32_t)seq * 960;
	h.ssrc = ssrc;
	len = rtp_write(b, 1500, &h, NULL);
	/* An Opus TOC byte for a 20 ms SILK frame, then some bytes. */
	b[len] = 0x08;
	randombytes_buf(b + len + 1, 40);
	len += 41;
	if (srtpx_protect(ctx, b, &len) != SRTPX_OK)
		errx(1, "srtp_protect failed");
	return len;
}

/* The kinds of datagram a storm sends. */
enum tabuse_kind {
	TABUSE_RANDOM, TABUSE_UNKNOWN, TABUSE_KNOWN, TABUSE_RTCP,
	TABUSE_RTCP_KNOWN
};

static const char *const tabuse_kinds[] = {
	"random", "unknown", "known", "rtcp", "rtcp-known"
};

/* A pool of datagrams sent in turn, and their lengths. */
struct tabuse_pool {
	uint8_t		 b[TABUSE_POOL][200];
	size_t		 len[TABUSE_POOL];
};

static uint64_t
tabuse_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/*
 * Fills the pool of a storm.  None of these is ever authentic, so what
 * confd does with one depends only on its first bytes:
 *   random: three in four fail the version check (garbage); the rest reach
 *     the SSRC lookup, and those of a shared-key room an authentication
 *     check under the admission context;
 *   unknown: a well-formed RTP header, an Opus-sized payload and a random
 *     tag: always a lookup and an authentication check under the admission
 *     context, the most a stranger can make confd do;
 *   known: the same with a participant's SSRC: its own context checks the
 *     replay window, then the tag;
 *   rtcp: a receiver report with an SRTCP index and tag, from an SSRC
 *     nobody has (a lookup only: confd admits nobody by RTCP);
 *   rtcp-known: the same with a participant's SSRC: an SRTCP check.
 * The SSRC (for unknown and rtcp) and the sequence number (for known) are
 * changed again at every send by tabuse_storm_touch().
 */
static void
tabuse_storm_fill(struct tabuse_pool *pool, enum tabuse_kind kind,
    uint32_t ssrc)
{
	uint8_t *b;
	size_t i, len;
	uint32_t s;

	for (i = 0; i < TABUSE_POOL; i++) {
		b = pool->b[i];
		switch (kind) {
		case TABUSE_RANDOM:
			len = 1 + randombytes_uniform(sizeof(pool->b[i]));
			randombytes_buf(b, len);
			break;
		case TABUSE_UNKNOWN:
		case TABUSE_KNOWN:
			/* 12 bytes of header, 80 of "Opus", a 10-byte tag. */
			len = 12 + 80 + 10;
			randombytes_buf(b, len);
			b[0] = 0x80;
			b[1] = 111;
			s = htonl(ssrc);
			memcpy(b + 8, &s, 4);
			break;
		default:
			/*
			 * An RR with one report block, then the E bit and
			 * SRTCP index, then a 10-byte tag.
			 */
			len = 8 + 24 + 4 + 10;
			randombytes_buf(b, len);
			b[0] = 0x81;
			b[1] = RTCP_RR;
			b[2] = 0;
			b[3] = 7;
			s = htonl(ssrc);
			memcpy(b + 4, &s, 4);
			b[32] |= 0x80;
			break;
		}
		pool->len[i] = len;
	}
}

/* Gives a datagram of the pool its next SSRC or sequence number. */
static void
tabuse_storm_touch(uint8_t *b, enum tabuse_kind kind, uint64_t n,
    uint32_t ssrc)
{
	uint32_t s;
	uint16_t q;

	switch (kind) {
	case TABUSE_UNKNOWN:
		/* Odd steps of a 32-bit counter never repeat an SSRC soon. */
		s = htonl(ssrc + (uint32_t)(n * 2654435761U));
		memcpy(b + 8, &s, 4);
		break;
	case TABUSE_RTCP:
		s = htonl(ssrc + (uint32_t)(n * 2654435761U));
		memcpy(b + 4, &s, 4);
		break;
	case TABUSE_KNOWN:
		/*
		 * A blind attacker guesses the sequence number: about half
		 * of them land ahead of the participant's and cost a tag
		 * check, the rest are refused as too old by the window.
		 */
		q = htons((uint16_t)(n * 40503U));
		memcpy(b + 2, &q, 2);
		break;
	default:
		break;
	}
}

/*
 * Sends a storm: pps datagrams a second for seconds, on absolute deadlines
 * of the monotonic clock so that the rate does not drift, in batches small
 * enough to come every half millisecond or so (a burst of a whole second's
 * worth would test the socket buffer, not confd).  When the generator
 * falls behind it sends as fast as it can and the rate it reached says so.
 */
static void
tabuse_storm(struct tabuse *t, int nports, enum tabuse_kind kind,
    uint32_t ssrc, double seconds, int batch)
{
	static struct tabuse_pool pool;
	struct mmsghdr msg[TABUSE_BATCH];
	struct iovec iov[TABUSE_BATCH];
	struct sockaddr_storage *to;
	struct timespec ts;
	struct rusage ru0, ru1;
	uint64_t t0, now, end, due, next, tried = 0, errors = 0, n;
	double cpu, dt;
	int i, k, port, rc;

	if ((to = calloc((size_t)nports, sizeof(*to))) == NULL)
		err(1, "calloc");
	port = ntohs(t->to.ss_family == AF_INET ?
	    ((struct sockaddr_in *)&t->to)->sin_port :
	    ((struct sockaddr_in6 *)&t->to)->sin6_port);
	for (i = 0; i < nports; i++) {
		to[i] = t->to;
		if (to[i].ss_family == AF_INET)
			((struct sockaddr_in *)&to[i])->sin_port =
			    htons((uint16_t)(port + i));
		else
			((struct sockaddr_in6 *)&to[i])->sin6_port =
			    htons((uint16_t)(port + i));
	}
	tabuse_storm_fill(&pool, kind, ssrc);
	if (batch <= 0) {
		batch = (int)(t->pps / 2000);
		batch = batch < 1 ? 1 : batch > TABUSE_BATCH ? TABUSE_BATCH :
		    batch;
	}
	getrusage(RUSAGE_SELF, &ru0);
	t0 = tabuse_now_ns();
	end = t0 + (uint64_t)(seconds * 1e9);
	for (;;) {
		now = tabuse_now_ns();
		if (now >= end)
			break;
		due = (uint64_t)((double)(now - t0) * (double)t->pps / 1e9);
		if (due < tried + (uint64_t)batch) {
			/* Sleep until a whole batch is due, or the end. */
			next = t0 + (uint64_t)((double)(tried + (uint64_t)batch) *
			    1e9 / (double)t->pps);
			if (next > end)
				next = end;
			ts.tv_sec = (time_t)(next / 1000000000ULL);
			ts.tv_nsec = (long)(next % 1000000000ULL);
			while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME,
			    &ts, NULL) == EINTR)
				;
			continue;
		}
		for (k = 0; k < batch; k++) {
			n = tried + (uint64_t)k;
			i = (int)(n % TABUSE_POOL);
			tabuse_storm_touch(pool.b[i], kind, n, ssrc);
			iov[k].iov_base = pool.b[i];
			iov[k].iov_len = pool.len[i];
			memset(&msg[k], 0, sizeof(msg[k]));
			msg[k].msg_hdr.msg_iov = &iov[k];
			msg[k].msg_hdr.msg_iovlen = 1;
			msg[k].msg_hdr.msg_name = &to[n % (uint64_t)nports];
			msg[k].msg_hdr.msg_namelen = t->tolen;
		}
		/*
		 * What the kernel refused counts as tried all the same: the
		 * pacing must not make up for it with a burst.
		 */
		rc = sendmmsg(t->fd, msg, (unsigned)batch, 0);
		tried += (uint64_t)batch;
		errors += (uint64_t)(batch - (rc > 0 ? rc : 0));
	}
	dt = (double)(tabuse_now_ns() - t0) / 1e9;
	getrusage(RUSAGE_SELF, &ru1);
	cpu = (double)(ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec +
	    ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) +
	    (double)(ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec +
	    ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec) / 1e6;
	printf("{\"kind\":\"%s\",\"target_pps\":%ld,\"ports\":%d,"
	    "\"batch\":%d,\"sent\":%llu,\"send_errors\":%llu,"
	    "\"seconds\":%.3f,\"pps\":%.0f,\"cpu_pct\":%.1f}\n",
	    tabuse_kinds[kind], t->pps, nports, batch,
	    (unsigned long long)(tried - errors), (unsigned long long)errors,
	    dt, (double)(tried - errors) / dt, 100 * cpu / dt);
	free(to);
}

static void
usage(void)
{
	fprintf(stderr, "usage: tabuse -a ADDR -p PORT -k KEY -m MODE [-n COUNT]"
	    " [-s SSRC] [-r PPS]\n"
	    "       tabuse -a ADDR -p PORT -k KEY -m storm -K KIND -r PPS "
	    "-t SECONDS\n"
	    "              [-P PORTS] [-s SSRC] [-b BATCH]\n"
	    "  KIND: random, unknown, known, rtcp or rtcp-known\n");
	exit(64);
}

int
main(int argc, char **argv)
{
	struct tabuse t;
	struct sockaddr_in *sin = (struct sockaddr_in *)&t.to;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&t.to;
	const char *addr = NULL, *mode = NULL, *key = NULL;
	uint8_t b[1600], other[SRTPX_MAX_MASTER];
	struct srtpx *ctx;
	uint32_t ssrc = 0;
	long count = 100, i, sent = 0;
	int port = 0, ch, nports = 1, batch = 0, kind = -1;
	double seconds = 0;
	size_t k;
	size_t len;
	char why[128];

	memset(&t, 0, sizeof(t));
	while ((ch = getopt(argc, argv, "a:p:k:m:n:s:r:K:t:P:b:")) != -1) {
		switch (ch) {
		case 'a': addr = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 'k': key = optarg; break;
		case 'm': mode = optarg; break;
		case 'n': count = atol(optarg); break;
		case 's': ssrc = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'r': t.pps = atol(optarg); break;
		case 't': seconds = atof(optarg); break;
		case 'P': nports = atoi(optarg); break;
		case 'b': batch = atoi(optarg); break;
		case 'K':
			for (k = 0; k < sizeof(tabuse_kinds) /
			    sizeof(tabuse_kinds[0]); k++)
				if (strcmp(optarg, tabuse_kinds[k]) == 0)
					kind = (int)k;
			if (kind < 0)
				usage();
			break;
		default: usage();
		}
	}
	if (addr == NULL || mode == NULL || key == NULL || port <= 0)
		usage();
	if (srtpx_init() != 0)
		errx(1, "cannot initialise libsrtp");
	if (srtpx_key_decode(SRTPX_AES_CM_128_HMAC_SHA1_80, key, t.key, why,
	    sizeof(why)) != 0)
		errx(64, "key: %s", why);
	if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		t.tolen = sizeof(*sin);
	} else if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		t.tolen = sizeof(*sin6);
	} else
		errx(64, "%s: not an address", addr);
	if ((t.fd = socket(t.to.ss_family, SOCK_DGRAM, 0)) == -1)
		err(1, "socket");
	if (ssrc == 0)
		ssrc = randombytes_random() | 1;

	if (strcmp(mode, "storm") == 0) {
		if (kind < 0 || t.pps <= 0 || seconds <= 0 || nports < 1 ||
		    nports > TABUSE_MAX_PORTS || port + nports - 1 > 65535 ||
		    batch > TABUSE_BATCH)
			usage();
		tabuse_storm(&t, nports, (enum tabuse_kind)kind, ssrc, seconds,
		    batch);
		sodium_memzero(&t, sizeof(t));
		return 0;
	}
	if (strcmp(mode, "wrongkey") == 0) {
		randombytes_buf(other, sizeof(other));
		if (srtpx_new(&ctx, SRTPX_AES_CM_128_HMAC_SHA1_80, other,
		    SRTPX_OUT, ssrc) != 0)
			errx(1, "srtp");
		for (i = 0; i < count; i++, sent++)
			tabuse_send(&t, b, tabuse_packet(ctx, ssrc,
			    (uint16_t)i, b));
		srtpx_free(ctx);
	} else if (strcmp(mode, "replay") == 0 || strcmp(mode, "tamper") == 0) {
		if (srtpx_new(&ctx, SRTPX_AES_CM_128_HMAC_SHA1_80, t.key,
		    SRTPX_OUT, ssrc) != 0)
			errx(1, "srtp");
		len = tabuse_packet(ctx, ssrc, 7, b);
		for (i = 0; i < count; i++, sent++) {
			if (mode[0] == 't') {
				/*
				 * Random indexes, some ahead of the victim's,
				 * some behind; libsrtp sends no index twice,
				 * so each gets a context of its own.
				 */
				srtpx_free(ctx);
				if (srtpx_new(&ctx, SRTPX_AES_CM_128_HMAC_SHA1_80,
				    t.key, SRTPX_OUT, ssrc) != 0)
					errx(1, "srtp");
				len = tabuse_packet(ctx, ssrc,
				    (uint16_t)randombytes_uniform(65536), b);
				b[12 + (size_t)i % (len - 12)] ^= 0x10;
			}
			tabuse_send(&t, b, len);
		}
		srtpx_free(ctx);
	} else if (strcmp(mode, "garbage") == 0) {
		for (i = 0; i < count; i++, sent++) {
			len = randombytes_uniform(1500);
			randombytes_buf(b, len);
			if (len > 0 && (i & 1))
				b[0] = (uint8_t)((b[0] & 0x3f) | 0x80);
			tabuse_send(&t, b, len);
		}
	} else if (strcmp(mode, "truncated") == 0) {
		if (srtpx_new(&ctx, SRTPX_AES_CM_128_HMAC_SHA1_80, t.key,
		    SRTPX_OUT, ssrc) != 0)
			errx(1, "srtp");
		for (i = 0; i < count; i++, sent++) {
			len = tabuse_packet(ctx, ssrc, (uint16_t)i, b);
			tabuse_send(&t, b, randombytes_uniform((uint32_t)len));
		}
		srtpx_free(ctx);
	} else if (strcmp(mode, "flood") == 0) {
		/*
		 * One well-formed packet under a stranger's key, its SSRC
		 * changed for every send: each costs confd a lookup and one
		 * authentication check, the most a stranger can make it do.
		 */
		randombytes_buf(other, sizeof(other));
		if (srtpx_new(&ctx, SRTPX_AES_CM_128_HMAC_SHA1_80, other,
		    SRTPX_OUT, ssrc) != 0)
			errx(1, "srtp");
		len = tabuse_packet(ctx, ssrc, 1, b);
		srtpx_free(ctx);
		for (i = 0; i < count; i++, sent++) {
			uint32_t s = htonl(ssrc + (uint32_t)i);

			memcpy(b + 8, &s, 4);
			tabuse_send(&t, b, len);
		}
	} else
		usage();
	printf("%ld\n", sent);
	sodium_memzero(&t, sizeof(t));
	return 0;
}
