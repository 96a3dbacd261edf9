/* wav: see wav.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sndfile.h>

#include "wav.h"

#define WAV_BUF		WAV_RATE	/* samples buffered: one second */

struct wav {
	SNDFILE		*sf;
	bool		 writing;
	bool		 failed;	/* a write failed; see err */
	char		 path[256];	/* for messages */
	char		 err[128];	/* libsndfile's word on the failure */
	size_t		 pos;		/* next sample of buf to read */
	size_t		 fill;		/* samples in buf */
	uint64_t	 samples;
	int16_t		 buf[WAV_BUF];
};

/* Opens path with libsndfile and checks its format; w->sf on success. */
static int
wav_open(struct wav **out, const char *path, bool writing, char *why,
    size_t whylen)
{
	struct wav *w;
	SF_INFO info;

	*out = NULL;
	if ((w = calloc(1, sizeof(*w))) == NULL) {
		snprintf(why, whylen, "out of memory");
		return ENOMEM;
	}
	w->writing = writing;
	snprintf(w->path, sizeof(w->path), "%s", path);
	memset(&info, 0, sizeof(info));
	if (writing) {
		info.samplerate = WAV_RATE;
		info.channels = 1;
		info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
	}
	if ((w->sf = sf_open(path, writing ? SFM_WRITE : SFM_READ, &info)) ==
	    NULL) {
		snprintf(why, whylen, "%s: %s", path, sf_strerror(NULL));
		free(w);
		return EIO;
	}
	if (!writing && (info.samplerate != WAV_RATE || info.channels != 1)) {
		snprintf(why, whylen, "%s: %d Hz with %d channel%s; only "
		    "%d Hz mono is sent (convert it first, for example with "
		    "'sox IN -r %d -c 1 OUT.wav')", path, info.samplerate,
		    info.channels, info.channels == 1 ? "" : "s", WAV_RATE,
		    WAV_RATE);
		sf_close(w->sf);
		free(w);
		return EINVAL;
	}
	/* A header rewritten after each write survives a crash. */
	if (writing)
		sf_command(w->sf, SFC_SET_UPDATE_HEADER_AUTO, NULL, SF_TRUE);
	*out = w;
	return 0;
}

int
wav_open_read(struct wav **out, const char *path, char *why, size_t whylen)
{
	return wav_open(out, path, false, why, whylen);
}

int
wav_open_write(struct wav **out, const char *path, char *why, size_t whylen)
{
	return wav_open(out, path, true, why, whylen);
}

/* Refills the read buffer; false at the end of the file or on an error. */
static bool
wav_refill(struct wav *w, bool loop)
{
	sf_count_t n;

	w->pos = w->fill = 0;
	n = sf_readf_short(w->sf, w->buf, WAV_BUF);
	if (n <= 0 && loop && sf_seek(w->sf, 0, SEEK_SET) == 0)
		n = sf_readf_short(w->sf, w->buf, WAV_BUF);
	if (n <= 0)
		return false;
	w->fill = (size_t)n;
	return true;
}

size_t
wav_read(struct wav *w, int16_t *pcm, size_t n, bool loop)
{
	size_t done = 0, k;

	if (w->writing)
		return 0;
	while (done < n) {
		if (w->pos == w->fill && !wav_refill(w, loop))
			break;
		k = w->fill - w->pos;
		if (k > n - done)
			k = n - done;
		memcpy(pcm + done, w->buf + w->pos, k * sizeof(*pcm));
		w->pos += k;
		done += k;
	}
	w->samples += done;
	return done;
}

/* Writes the buffer to the file, remembering the first failure. */
static void
wav_drain(struct wav *w)
{
	sf_count_t n;

	if (w->fill == 0 || w->failed) {
		w->fill = 0;
		return;
	}
	n = sf_writef_short(w->sf, w->buf, (sf_count_t)w->fill);
	if (n != (sf_count_t)w->fill) {
		w->failed = true;
		snprintf(w->err, sizeof(w->err), "%s", sf_strerror(w->sf));
	}
	w->fill = 0;
}

int
wav_write(struct wav *w, const int16_t *pcm, size_t n)
{
	size_t k;

	if (!w->writing)
		return EBADF;
	while (n > 0 && !w->failed) {
		k = WAV_BUF - w->fill;
		if (k > n)
			k = n;
		memcpy(w->buf + w->fill, pcm, k * sizeof(*pcm));
		w->fill += k;
		w->samples += k;
		pcm += k;
		n -= k;
		if (w->fill == WAV_BUF)
			wav_drain(w);
	}
	return w->failed ? EIO : 0;
}

int
wav_flush(struct wav *w, char *why, size_t whylen)
{
	if (!w->writing)
		return 0;
	wav_drain(w);
	if (w->failed) {
		snprintf(why, whylen, "%s: cannot write: %s", w->path, w->err);
		return EIO;
	}
	return 0;
}

uint64_t
wav_samples(const struct wav *w)
{
	return w->samples;
}

void
wav_free(struct wav *w)
{
	if (w == NULL)
		return;
	if (w->writing)
		wav_drain(w);
	sf_close(w->sf);
	free(w);
}
