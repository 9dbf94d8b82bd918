// SPDX-License-Identifier: MIT
/*
 * frame.c - the control protocol's frames: writing a header, and a reader
 * that survives half frames, garbage and a peer that starts over.
 */
#include "frame.h"

#include <stdlib.h>

const unsigned char frame_sync[16] = {0xff, 0x00, 'N', 'U', 'C', 'L', 'E',  'U',
				      'S',  '-',  'S', 'Y', 'N', 'C', 0x00, 0xff};

void frame_header(unsigned char *hdr, enum frame_type type, uint32_t chan, uint32_t len)
{
	hdr[0] = 'N';
	hdr[1] = 'F';
	hdr[2] = (unsigned char)type;
	hdr[3] = 0;
	frame_put_u32(hdr + 4, chan);
	frame_put_u32(hdr + 8, len);
}

void frame_dec_init(struct frame_dec *d)
{
	memset(d, 0, sizeof(*d));
}

void frame_dec_reset(struct frame_dec *d)
{
	free(d->buf);
	d->buf = NULL;
	d->hlen = d->need = d->have = 0;
}

void frame_dec_free(struct frame_dec *d)
{
	frame_dec_reset(d);
	d->tlen = 0;
}

static bool hdr_valid(const unsigned char *h)
{
	return h[0] == 'N' && h[1] == 'F' && h[2] >= F_HELLO && h[2] <= F_TYPE_MAX &&
	       frame_u32(h + 8) <= FRAME_MAX;
}

/* Drops header bytes from the front until what is left could start a header. */
static void hdr_resync(struct frame_dec *d)
{
	size_t i = 1;

	while (i < d->hlen && !(d->hdr[i] == 'N' && (i + 1 == d->hlen || d->hdr[i + 1] == 'F')))
		i++;
	d->skipped += i;
	memmove(d->hdr, d->hdr + i, d->hlen - i);
	d->hlen -= i;
}

static void deliver(struct frame_dec *d, const unsigned char *data, frame_fn fn, void *arg)
{
	struct frame f = {.type = (enum frame_type)d->hdr[2],
			  .chan = frame_u32(d->hdr + 4),
			  .len = frame_u32(d->hdr + 8),
			  .data = data};

	d->hlen = 0;
	d->need = d->have = 0;
	fn(arg, &f);
}

/* Header bytes, one at a time: a byte that cannot continue one is skipped. */
static size_t take_header(struct frame_dec *d, const unsigned char *p, size_t n)
{
	size_t used = 0;

	while (used < n && d->hlen < FRAME_HDR) {
		d->hdr[d->hlen++] = p[used++];
		if ((d->hlen == 1 && d->hdr[0] != 'N') || (d->hlen == 2 && d->hdr[1] != 'F') ||
		    (d->hlen == FRAME_HDR && !hdr_valid(d->hdr)))
			hdr_resync(d);
	}
	return used;
}

/* The stream between SYNCs. */
static void feed_plain(struct frame_dec *d, const unsigned char *p, size_t n, frame_fn fn,
		       void *arg)
{
	while (n) {
		size_t k;

		if (d->hlen < FRAME_HDR) {
			k = take_header(d, p, n);
			p += k;
			n -= k;
			if (d->hlen < FRAME_HDR)
				return;
			d->need = frame_u32(d->hdr + 8);
			if (!d->need) {
				deliver(d, NULL, fn, arg);
				continue;
			}
			/* all of it here: no copy */
			if (n >= d->need) {
				k = d->need;
				deliver(d, p, fn, arg);
				p += k;
				n -= k;
				continue;
			}
			d->buf = malloc(d->need);
			if (!d->buf) {
				/* the frame is lost; what follows is found by the header scan */
				d->oom = true;
				d->hlen = 0;
				d->skipped += d->need;
				continue;
			}
		}
		k = d->need - d->have < n ? d->need - d->have : n;
		memcpy(d->buf + d->have, p, k);
		d->have += k;
		p += k;
		n -= k;
		if (d->have == d->need) {
			unsigned char *buf = d->buf;

			d->buf = NULL;
			deliver(d, buf, fn, arg);
			free(buf);
		}
	}
}

/* Where a SYNC that began in the bytes of the last call ends in @p, or 0. */
static size_t sync_straddles(const struct frame_dec *d, const unsigned char *p, size_t n)
{
	for (size_t k = 1; k < sizeof(frame_sync) && k <= n; k++) {
		size_t before = sizeof(frame_sync) - k;

		if (before <= d->tlen && !memcmp(d->tail + d->tlen - before, frame_sync, before) &&
		    !memcmp(p, frame_sync + before, k))
			return k;
	}
	return 0;
}

static void remember_tail(struct frame_dec *d, const unsigned char *p, size_t n)
{
	size_t keep = sizeof(d->tail);

	if (n >= keep) {
		memcpy(d->tail, p + n - keep, keep);
		d->tlen = keep;
		return;
	}
	if (d->tlen + n > keep) {
		size_t drop = d->tlen + n - keep;

		memmove(d->tail, d->tail + drop, d->tlen - drop);
		d->tlen -= drop;
	}
	memcpy(d->tail + d->tlen, p, n);
	d->tlen += n;
}

static void on_sync(struct frame_dec *d, frame_fn fn, void *arg)
{
	frame_dec_reset(d);
	fn(arg, NULL);
}

void frame_feed(struct frame_dec *d, const void *data, size_t n, frame_fn fn, void *arg)
{
	const unsigned char *p = data, *end = p + n, *after = p; /* after the last SYNC */
	size_t k = sync_straddles(d, p, n);

	if (k) {
		on_sync(d, fn, arg);
		p += k;
		after = p;
	}
	while (p < end) {
		const unsigned char *s =
			memmem(p, (size_t)(end - p), frame_sync, sizeof(frame_sync));

		if (!s) {
			feed_plain(d, p, (size_t)(end - p), fn, arg);
			break;
		}
		feed_plain(d, p, (size_t)(s - p), fn, arg);
		on_sync(d, fn, arg);
		p = after = s + sizeof(frame_sync);
	}
	/* a SYNC found is not part of the next one: only what came after it counts */
	if (after > (const unsigned char *)data)
		d->tlen = 0;
	if (end - after > (ptrdiff_t)sizeof(d->tail))
		after = end - sizeof(d->tail);
	remember_tail(d, after, (size_t)(end - after));
}
