// SPDX-License-Identifier: MIT
/*
 * fuzz_frame.c - libFuzzer target over the control protocol's frame reader.
 *
 * The first byte picks how the rest is cut into reads. Checks: every frame
 * delivered is well formed (a known type, a length within FRAME_MAX, data
 * for a payload); cut or whole, the stream holds the same SYNCs; without a
 * SYNC it gives the same frames however it is cut; the reader holds at
 * most one frame's payload.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"

struct seen {
	uint64_t frames, syncs, hash;
};

static void check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_frame: %s\n", what);
		abort();
	}
}

static void on_frame(void *arg, const struct frame *f)
{
	struct seen *s = arg;

	if (!f) {
		s->syncs++;
		s->hash = s->hash * 31 + 7;
		return;
	}
	check(f->type >= F_HELLO && f->type <= F_TYPE_MAX, "a frame of an unknown type");
	check(f->len <= FRAME_MAX, "a frame longer than FRAME_MAX");
	check(!f->len || f->data, "a payload without data");
	s->frames++;
	s->hash = s->hash * 1000003 + f->type * 131 + f->chan * 17 + f->len;
	for (uint32_t i = 0; i < f->len; i++)
		s->hash = s->hash * 33 + f->data[i];
}

static struct seen run(const uint8_t *data, size_t size, size_t step)
{
	struct frame_dec d;
	struct seen s = {0};

	frame_dec_init(&d);
	for (size_t o = 0; o < size; o += step) {
		frame_feed(&d, data + o, size - o < step ? size - o : step, on_frame, &s);
		check(d.hlen <= FRAME_HDR && d.have <= d.need && d.need <= FRAME_MAX,
		      "the reader's state out of bounds");
	}
	frame_dec_free(&d);
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct seen whole, cut;
	size_t step;

	if (size < 1 || size > 1 << 17)
		return 0;
	step = (size_t)data[0] % 37 + 1;
	data++;
	size--;
	whole = run(data, size, size ? size : 1);
	cut = run(data, size, step);
	check(whole.syncs == cut.syncs, "cut and whole see different SYNCs");
	if (!whole.syncs)
		check(whole.frames == cut.frames && whole.hash == cut.hash,
		      "cut and whole give different frames");
	return 0;
}
