/*
 * Unit tests of a call's media path (client/call.c) without confd: two
 * calls on one event loop send to each other's ports on 127.0.0.1, and
 * each must hear the other's tone and not its own, also through loss and
 * jitter, and hear nothing through a wrong key.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <sndfile.h>

#include "check.h"
#include "../../client/call.h"
#include "../../client/wav.h"

#define SSRC_A	0x11111111u
#define SSRC_B	0x22222222u

static const uint8_t key[30] = {
	0xe1, 0xf9, 0x7a, 0x0d, 0x3e, 0x01, 0x8b, 0xe0, 0xd6, 0x4f, 0xa3,
	0x2c, 0x06, 0xde, 0x41, 0x39, 0x0e, 0xc6, 0x75, 0xad, 0x49, 0x8a,
	0xfe, 0xeb, 0xb6, 0x96, 0x0b, 0x3a, 0xab, 0xe6,
};

/* Two calls on one loop, each sending to the other. */
struct pair {
	struct event_base	*base;
	struct call		*a, *b;
};

/* A scratch directory of this run, for the sound files. */
static char tmpdir[256];
static const char *const tmp_names[] = { "in.wav", "rec.wav", "cd.wav" };

/* Removes the scratch directory, even after a failed case. */
static void
tmp_clean(void)
{
	char path[300];
	size_t i;

	for (i = 0; i < sizeof(tmp_names) / sizeof(tmp_names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", tmpdir, tmp_names[i]);
		unlink(path);
	}
	rmdir(tmpdir);
}

/* The path of a scratch file, one of tmp_names. */
static const char *
tmp_path(char *buf, size_t len, const char *name)
{
	if (tmpdir[0] == '\0') {
		snprintf(tmpdir, sizeof(tmpdir), "%s/test_call.XXXXXX",
		    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
		if (mkdtemp(tmpdir) == NULL)
			return NULL;
		atexit(tmp_clean);
	}
	snprintf(buf, len, "%s/%s", tmpdir, name);
	return buf;
}

/* A call on 127.0.0.1 sending a tone of hz and analysing 600 and 1000 Hz. */
static void
conf_tone(struct call_conf *c, uint32_t ssrc, double hz)
{
	call_conf_default(c);
	c->bind_addr = "127.0.0.1";
	c->ssrc = ssrc;
	memcpy(c->tx_key, key, sizeof(key));
	memcpy(c->rx_key, key, sizeof(key));
	c->source = CALL_SRC_TONE;
	c->tone_hz = hz;
	c->freqs[0] = 600;
	c->freqs[1] = 1000;
	c->nfreqs = 2;
}

/* Creates both calls and points each at the other; 0 or an errno. */
static int
pair_new(struct pair *p, const struct call_conf *ca,
    const struct call_conf *cb)
{
	char why[256];
	int err;

	memset(p, 0, sizeof(*p));
	if ((p->base = event_base_new()) == NULL)
		return ENOMEM;
	if ((err = call_new(&p->a, p->base, ca, why, sizeof(why))) != 0 ||
	    (err = call_new(&p->b, p->base, cb, why, sizeof(why))) != 0 ||
	    (err = call_set_server(p->a, "127.0.0.1", call_local_port(p->b),
	    why, sizeof(why))) != 0 ||
	    (err = call_set_server(p->b, "127.0.0.1", call_local_port(p->a),
	    why, sizeof(why))) != 0) {
		printf("# %s\n", why);
		return err;
	}
	return 0;
}

static void
pair_free(struct pair *p)
{
	call_free(p->a);
	call_free(p->b);
	if (p->base != NULL)
		event_base_free(p->base);
}

/* Initialises libsrtp on the first call; srtpx_init() wants one. */
static int
init_once(void)
{
	static int done, err;

	if (!done) {
		err = srtpx_init();
		done = 1;
	}
	return err;
}

/* Runs the loop for ms milliseconds. */
static void
run(struct event_base *base, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

/* Writes seconds of a tone of hz to path as a 48 kHz mono WAV file. */
static int
write_tone(const char *path, double hz, double seconds)
{
	struct tone_gen g;
	struct wav *w;
	int16_t pcm[960];
	char why[256];
	int i, err;

	if ((err = wav_open_write(&w, path, why, sizeof(why))) != 0)
		return err;
	tone_gen_init(&g, hz, 0.25);
	for (i = 0; i < (int)(seconds * 50); i++) {
		tone_gen_fill(&g, pcm, 960);
		wav_write(w, pcm, 960);
	}
	err = wav_flush(w, why, sizeof(why));
	wav_free(w);
	return err;
}

/*
 * A sends a 600 Hz tone with the audio level; B sends 1000 Hz read from a
 * WAV file, and records what it hears.  Each hears the other only; the
 * reports and the BYE get through; the recording holds the 600 Hz.
 */
static void
test_loopback(void)
{
	struct call_conf ca, cb;
	struct call_stats sa, sb;
	struct pair p;
	char wav_in[300], rec[300], why[256];
	static int16_t pcm[3 * 48000];
	struct wav *w;
	size_t n;

	CHECK_INT(init_once(), ==, 0);
	CHECK(tmp_path(wav_in, sizeof(wav_in), "in.wav") != NULL);
	CHECK(tmp_path(rec, sizeof(rec), "rec.wav") != NULL);
	CHECK_INT(write_tone(wav_in, 1000, 0.5), ==, 0);
	conf_tone(&ca, SSRC_A, 600);
	ca.rx_ssrc_set = true;
	ca.rx_ssrc = SSRC_B;
	ca.send_level = true;
	ca.rtcp_interval_ms = 400;
	conf_tone(&cb, SSRC_B, 0);
	cb.rx_ssrc_set = true;
	cb.rx_ssrc = SSRC_A;
	cb.source = CALL_SRC_WAV;
	cb.wav_path = wav_in;
	cb.wav_loop = true;
	cb.record_path = rec;
	cb.rtcp_interval_ms = 400;
	CHECK_INT(pair_new(&p, &ca, &cb), ==, 0);
	call_conf_wipe(&ca);
	call_conf_wipe(&cb);
	CHECK(ca.tx_key[0] == 0 && cb.rx_key[29] == 0);
	CHECK_INT(call_start(p.a), ==, 0);
	CHECK_INT(call_start(p.b), ==, 0);
	CHECK_INT(call_start(p.a), ==, EALREADY);
	run(p.base, 1500);
	/* The level of what B hears now, while A still sends. */
	call_stats(p.b, &sb);
	CHECK_INT(sb.level, >=, 13);
	CHECK_INT(sb.level, <=, 17);

	CHECK_INT(call_stop(p.a, why, sizeof(why)), ==, 0);
	CHECK(!call_running(p.a) && call_running(p.b));
	run(p.base, 100);
	CHECK_INT(call_stop(p.b, why, sizeof(why)), ==, 0);
	CHECK_INT(call_stop(p.b, why, sizeof(why)), ==, 0);
	call_stats(p.a, &sa);
	call_stats(p.b, &sb);
	printf("# B hears 600 Hz: %.3f, 1000 Hz: %.3f; A hears 1000 Hz: "
	    "%.3f, 600 Hz: %.3f\n", call_tone_ratio(p.b, 600),
	    call_tone_ratio(p.b, 1000), call_tone_ratio(p.a, 1000),
	    call_tone_ratio(p.a, 600));
	CHECK(call_tone_ratio(p.b, 600) > 0.8);
	CHECK(call_tone_ratio(p.b, 1000) < 0.05);
	CHECK(call_tone_ratio(p.a, 1000) > 0.8);
	CHECK(call_tone_ratio(p.a, 600) < 0.05);
	CHECK(call_tone_ratio(p.a, 800) == -1);
	/* A tone of amplitude 0.25 holds 0.25^2 / 2 per sample. */
	CHECK(call_heard_energy(p.b) > 0.02 && call_heard_energy(p.b) < 0.05);
	/* 1.5 s is 75 frames; the first packets may still be on the way. */
	CHECK_INT(sa.sent, >=, 70);
	CHECK_INT(sa.sent, <=, 80);
	CHECK_INT(sb.received, >=, 65);
	CHECK_INT(sb.received, <=, sa.sent);
	CHECK_INT(sa.received, >=, 65);
	CHECK_INT(sb.auth_fail + sb.foreign + sb.malformed + sb.replay, ==, 0);
	CHECK_INT(sa.auth_fail + sa.foreign + sa.malformed + sa.replay, ==, 0);
	CHECK_INT(sb.lost, ==, 0);
	CHECK_INT(sb.concealed, ==, 0);
	/* -15 dBov is the level of a sine of amplitude 0.25. */
	CHECK_INT(sb.rx_level, ==, 15);
	/* After A's BYE, B hears silence. */
	CHECK_INT(sb.level, ==, 127);
	CHECK_INT(sa.rx_level, ==, -1);
	CHECK_INT(sa.rtcp_received, >=, 2);
	CHECK_INT(sb.rtcp_received, >=, 3);	/* and the BYE */
	CHECK_INT(sb.bye_received, ==, 1);
	CHECK_INT(sa.bye_received, ==, 0);
	CHECK_INT(sb.remote_lost, ==, 0);
	pair_free(&p);

	/* The recording: 1.6 s of what B heard, the tone after the start. */
	CHECK_INT(wav_open_read(&w, rec, why, sizeof(why)), ==, 0);
	n = wav_read(w, pcm, sizeof(pcm) / sizeof(pcm[0]), false);
	wav_free(w);
	CHECK_INT(n, >=, 75 * 960);
	CHECK_INT(n, <=, 85 * 960);
	CHECK(tone_ratio(tone_power(pcm + n - 48000, 48000, 600),
	    tone_energy(pcm + n - 48000, 48000)) > 0.8);
}

/*
 * A's stream loses 10 % of its packets, 5 % are swapped and all get up to
 * 30 ms of jitter: B still hears the 600 Hz, and counts the losses.  The
 * SSRCs are each other's complement, as with confd, so neither call is
 * told what to receive.
 */
static void
test_impaired(void)
{
	struct call_conf ca, cb;
	struct call_stats sa, sb;
	struct pair p;
	char why[256];

	CHECK_INT(init_once(), ==, 0);
	conf_tone(&ca, SSRC_A, 600);
	ca.loss_pct = 10;
	ca.reorder_pct = 5;
	ca.jitter_ms = 30;
	ca.seed = 7;
	conf_tone(&cb, ~SSRC_A, 1000);
	CHECK_INT(pair_new(&p, &ca, &cb), ==, 0);
	CHECK_INT(call_start(p.a), ==, 0);
	CHECK_INT(call_start(p.b), ==, 0);
	run(p.base, 1500);
	CHECK_INT(call_stop(p.a, why, sizeof(why)), ==, 0);
	CHECK_INT(call_stop(p.b, why, sizeof(why)), ==, 0);
	call_stats(p.a, &sa);
	call_stats(p.b, &sb);
	printf("# B hears 600 Hz: %.3f; A dropped %llu of %llu; B lost %llu, "
	    "late %llu, concealed %llu, FEC %llu, jitter %.1f ms\n",
	    call_tone_ratio(p.b, 600), (unsigned long long)sa.dropped,
	    (unsigned long long)(sa.sent + sa.dropped),
	    (unsigned long long)sb.lost, (unsigned long long)sb.late,
	    (unsigned long long)sb.concealed, (unsigned long long)sb.fec,
	    sb.jitter_ms);
	CHECK(call_tone_ratio(p.b, 600) > 0.8);
	CHECK(call_tone_ratio(p.b, 1000) < 0.05);
	CHECK(call_tone_ratio(p.a, 1000) > 0.8);
	CHECK_INT(sa.dropped, >, 0);
	CHECK_INT(sa.sent + sa.dropped, >=, 70);
	CHECK_INT(sb.received, <=, sa.sent);
	CHECK_INT(sb.lost, >, 0);
	CHECK_INT(sb.concealed + sb.fec, >, 0);
	CHECK(sb.jitter_ms > 1);
	CHECK_INT(sb.auth_fail + sb.foreign + sb.malformed, ==, 0);
	/* The other direction was not impaired. */
	CHECK_INT(sa.lost, ==, 0);
	pair_free(&p);
}

/* B has the wrong key for A's stream: it hears nothing, and says why. */
static void
test_wrong_key(void)
{
	struct call_conf ca, cb;
	struct call_stats sa, sb;
	struct pair p;
	char why[256];

	CHECK_INT(init_once(), ==, 0);
	conf_tone(&ca, SSRC_A, 600);
	ca.rx_ssrc_set = true;
	ca.rx_ssrc = SSRC_B;
	conf_tone(&cb, SSRC_B, 1000);
	cb.rx_ssrc_set = true;
	cb.rx_ssrc = SSRC_A;
	cb.rx_key[3] ^= 0x40;
	CHECK_INT(pair_new(&p, &ca, &cb), ==, 0);
	CHECK_INT(call_start(p.a), ==, 0);
	CHECK_INT(call_start(p.b), ==, 0);
	run(p.base, 700);
	CHECK_INT(call_stop(p.a, why, sizeof(why)), ==, 0);
	CHECK_INT(call_stop(p.b, why, sizeof(why)), ==, 0);
	call_stats(p.a, &sa);
	call_stats(p.b, &sb);
	CHECK_INT(sb.auth_fail, >=, 30);
	CHECK_INT(sb.received, ==, 0);
	CHECK_INT(sb.frames_played, ==, 0);
	CHECK(call_tone_ratio(p.b, 600) == 0);
	CHECK(call_heard_energy(p.b) == 0);
	CHECK_INT(sb.level, ==, 127);
	/* The other way the key is right. */
	CHECK_INT(sa.auth_fail, ==, 0);
	CHECK(call_tone_ratio(p.a, 1000) > 0.8);
	pair_free(&p);
}

/* Bad configurations are refused with a reason a person can act on. */
static void
test_conf_errors(void)
{
	struct event_base *base;
	struct call_conf c;
	struct call *call = (struct call *)&c;
	char why[256], path[300];
	SF_INFO info;
	SNDFILE *sf;
	short frames[2 * 100];

	CHECK_INT(init_once(), ==, 0);
	CHECK((base = event_base_new()) != NULL);

	conf_tone(&c, SSRC_A, 600);
	c.bind_addr = NULL;
	c.server_addr = "127.0.0.300";
	c.server_port = 5004;
	CHECK_INT(call_new(&call, base, &c, why, sizeof(why)), ==, EINVAL);
	CHECK(call == NULL);
	CHECK(strstr(why, "127.0.0.300") != NULL);

	conf_tone(&c, SSRC_A, 600);
	c.bind_addr = NULL;
	CHECK_INT(call_new(&call, base, &c, why, sizeof(why)), ==, EINVAL);
	CHECK(strstr(why, "needs a server") != NULL);

	conf_tone(&c, SSRC_A, 600);
	c.server_addr = "127.0.0.1";
	CHECK_INT(call_new(&call, base, &c, why, sizeof(why)), ==, EINVAL);
	CHECK(strstr(why, "needs a port") != NULL);

	conf_tone(&c, SSRC_A, 600);
	c.bind_addr = "::1";
	c.server_addr = "127.0.0.1";
	c.server_port = 5004;
	CHECK_INT(call_new(&call, base, &c, why, sizeof(why)), ==, EINVAL);
	CHECK(strstr(why, "different families") != NULL);

	conf_tone(&c, SSRC_A, 600);
	c.payload_type = 72;
	CHECK_INT(call_new(&call, base, &c, why, sizeof(why)), ==, EINVAL);
	CHECK(strstr(why, "payload type 72") != NULL);

	conf_tone(&c, SSRC_A, 30000);
	CHECK_INT(call_new(&call, base, &c, why, sizeof(why)), ==, EINVAL);
	CHECK(strstr(why, "frequency") != NULL);

	conf_tone(&c, SSRC_A, 600);
	c.freqs[1] = 0;
	CHECK_INT(call_new(&call, base, &c, why, sizeof(why)), ==, EINVAL);
	CHECK(strstr(why, "analysis") != NULL);

	conf_tone(&c, SSRC_A, 600);
	c.jitter_ms = 5000;
	CHECK_INT(call_new(&call, base, &c, why, sizeof(why)), ==, EINVAL);
	CHECK(strstr(why, "jitter") != NULL);

	conf_tone(&c, SSRC_A, 600);
	c.source = CALL_SRC_WAV;
	c.wav_path = "/nonexistent/in.wav";
	CHECK_INT(call_new(&call, base, &c, why, sizeof(why)), !=, 0);
	CHECK(strstr(why, "/nonexistent/in.wav") != NULL);

	/* A CD-quality stereo file is refused with how to convert it. */
	CHECK(tmp_path(path, sizeof(path), "cd.wav") != NULL);
	memset(&info, 0, sizeof(info));
	info.samplerate = 44100;
	info.channels = 2;
	info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
	CHECK((sf = sf_open(path, SFM_WRITE, &info)) != NULL);
	memset(frames, 0, sizeof(frames));
	sf_writef_short(sf, frames, 100);
	sf_close(sf);
	c.wav_path = path;
	CHECK_INT(call_new(&call, base, &c, why, sizeof(why)), ==, EINVAL);
	printf("# %s\n", why);
	CHECK(strstr(why, "44100 Hz with 2 channels") != NULL);
	CHECK(strstr(why, "48000 Hz mono") != NULL);

	conf_tone(&c, SSRC_A, 600);
	c.record_path = "/nonexistent/rec.wav";
	CHECK_INT(call_new(&call, base, &c, why, sizeof(why)), !=, 0);
	CHECK(strstr(why, "/nonexistent/rec.wav") != NULL);

	/* A call without a server cannot start until it has one. */
	conf_tone(&c, SSRC_A, 600);
	CHECK_INT(call_new(&call, base, &c, why, sizeof(why)), ==, 0);
	CHECK(call_local_port(call) != 0);
	CHECK_INT(call_start(call), ==, EDESTADDRREQ);
	CHECK_INT(call_set_server(call, "::1", 5004, why, sizeof(why)), ==,
	    EINVAL);
	CHECK_INT(call_set_server(call, "localhost", 5004, why, sizeof(why)),
	    ==, EINVAL);
	CHECK(strstr(why, "localhost") != NULL);
	CHECK_INT(call_stop(call, why, sizeof(why)), ==, 0);
	call_free(call);
	call_conf_wipe(&c);
	event_base_free(base);
}

CHECK_MAIN(
	CHECK_CASE(test_loopback),
	CHECK_CASE(test_impaired),
	CHECK_CASE(test_wrong_key),
	CHECK_CASE(test_conf_errors),
)
