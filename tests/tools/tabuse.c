/*
 * tabuse: sends a conference port what an attacker or a broken network
 * would, so that tests can check confd drops and counts it while the
 * conference goes on.
 *
 *   tabuse -a ADDR -p PORT -k ROOMKEY -m MODE [-n COUNT] [-s SSRC] [-r PPS]
 *
 * Modes:
 *   wrongkey   authentic-looking SRTP from a new SSRC under another key
 *   replay     one valid packet of SSRC (with the room key), sent COUNT times
 *   tamper     valid packets of SSRC at random sequence numbers with one
 *              bit flipped (authentication failures, or too old)
 *   garbage    random datagrams of random length, half with RTP version 2
 *   truncated  valid packets of a new SSRC cut short at random lengths
 *   flood      COUNT packets from random unknown SSRCs, as fast as PPS allows
 * Prints how many datagrams it sent.
 */
#include <arpa/inet.h>
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "rtp.h"
#include "srtpx.h"

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

static void
usage(void)
{
	fprintf(stderr, "usage: tabuse -a ADDR -p PORT -k KEY -m MODE [-n COUNT]"
	    " [-s SSRC] [-r PPS]\n");
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
	int port = 0, ch;
	size_t len;
	char why[128];

	memset(&t, 0, sizeof(t));
	while ((ch = getopt(argc, argv, "a:p:k:m:n:s:r:")) != -1) {
		switch (ch) {
		case 'a': addr = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 'k': key = optarg; break;
		case 'm': mode = optarg; break;
		case 'n': count = atol(optarg); break;
		case 's': ssrc = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'r': t.pps = atol(optarg); break;
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
