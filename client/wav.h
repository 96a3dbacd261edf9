/*
 * wav: 48 kHz mono sound files, read and written through libsndfile, for
 * what a call sends and what it records.
 *
 * Samples pass through a buffer of one second so that the 20 ms media
 * ticks reach the file system once a second rather than fifty times.  A
 * file read may be in any format libsndfile knows, but must already be
 * 48 kHz mono: resampling is not this module's business, and a file that
 * is not is refused with a message that says how to convert it.  Files
 * written are 16-bit WAV whose header is kept current, so that a recording
 * cut short by a crash is still playable.
 */
#ifndef WAV_H
#define WAV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WAV_RATE	48000

struct wav;

/* Opens a 48 kHz mono file for reading; 0, or an errno with why. */
int	wav_open_read(struct wav **out, const char *path, char *why,
	    size_t whylen);
/* Creates or truncates a 48 kHz mono 16-bit WAV file for writing. */
int	wav_open_write(struct wav **out, const char *path, char *why,
	    size_t whylen);
/*
 * Reads up to n samples into pcm and returns how many; fewer only at the
 * end of the file, where loop starts it over instead.
 */
size_t	wav_read(struct wav *w, int16_t *pcm, size_t n, bool loop);
/* Appends n samples; 0, or EIO once a write has failed. */
int	wav_write(struct wav *w, const int16_t *pcm, size_t n);
/* Writes out the buffer; 0, or EIO with why for the first failure. */
int	wav_flush(struct wav *w, char *why, size_t whylen);
/* The samples read or written so far. */
uint64_t wav_samples(const struct wav *w);
/* Writes out the buffer, closes the file and frees w. */
void	wav_free(struct wav *w);

#endif
