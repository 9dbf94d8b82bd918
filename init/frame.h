/* SPDX-License-Identifier: MIT */
/*
 * frame.h - the control protocol's framing, the same on control.sock and on
 * the virtio-serial control port.
 *
 * A frame is a 12-byte header and up to FRAME_MAX bytes of payload:
 *
 *	'N' 'F' TYPE FLAGS  CHAN (u32 LE)  LEN (u32 LE)  PAYLOAD[LEN]
 *
 * CHAN names a session: the client opens one with F_OPEN (payload: the
 * command's words, each NUL-terminated) and the server ends it with F_EXIT
 * (payload: the exit code, i32 LE) after its F_OUT/F_ERR output. Several
 * sessions share a stream; the port has one stream for every host client.
 *
 * The port is a byte stream whose peer comes and goes, so a reader must
 * survive half a frame, garbage and a new peer in the middle of anything:
 * a header that is not one is skipped a byte at a time until one is found,
 * and FRAME_SYNC (16 bytes no frame header starts with) found anywhere,
 * even inside a payload, drops whatever was being read. A new peer sends
 * FRAME_SYNC first; the reader then forgets every session of the old one.
 */
#ifndef NUCLEUS_FRAME_H
#define NUCLEUS_FRAME_H

#include "nucleus.h"

#define FRAME_HDR 12
#define FRAME_MAX 32768 /* payload; stdin and output travel in pieces this size */
/* exec: stdin a client may send before the first F_CREDIT */
#define EXEC_INITIAL_CREDIT 65536

enum frame_type {
	F_HELLO = 1,  /* either way: payload u64 instance (the server's boot nonce) */
	F_OPEN = 2,   /* client: start a session; payload: NUL-terminated words */
	F_IN = 3,     /* client: stdin bytes; empty: end of stdin */
	F_CLOSE = 4,  /* client: give the session up (its command is killed) */
	F_WINCH = 5,  /* client: terminal size, u16 rows, u16 cols */
	F_SIGNAL = 6, /* client: forward signal (i32) to the command */
	F_OUT = 7,    /* server: stdout bytes */
	F_ERR = 8,    /* server: stderr bytes */
	F_EXIT = 9,   /* server: the session ended; i32 exit code */
	F_CREDIT = 10 /* server: u32 more stdin bytes the client may send */
};
#define F_TYPE_MAX F_CREDIT

/* No header starts with 0xff: the scan for it cannot meet a real frame. */
extern const unsigned char frame_sync[16];

/* Writes the header of a frame into @hdr (FRAME_HDR bytes). */
void frame_header(unsigned char *hdr, enum frame_type type, uint32_t chan, uint32_t len);

struct frame {
	enum frame_type type;
	uint32_t chan;
	uint32_t len;
	const unsigned char *data; /* valid during the callback */
};

/* A frame arrived; or, with @f NULL, FRAME_SYNC did (forget the old peer). */
typedef void (*frame_fn)(void *arg, const struct frame *f);

/*
 * struct frame_dec - a reader's state. The buffer holds one frame at most
 * and is allocated while one is being read.
 */
struct frame_dec {
	unsigned char hdr[FRAME_HDR];
	size_t hlen; /* header bytes held */
	unsigned char *buf;
	size_t need, have;			    /* payload */
	unsigned char tail[sizeof(frame_sync) - 1]; /* the last bytes seen: a SYNC across reads */
	size_t tlen;
	uint64_t skipped; /* bytes of garbage skipped, for the log */
	bool oom;
};

void frame_dec_init(struct frame_dec *d);
void frame_dec_free(struct frame_dec *d);
/* Drops any half-read frame (the peer went away). */
void frame_dec_reset(struct frame_dec *d);
/* Feeds @n bytes; calls @fn for every whole frame and every SYNC, in order. */
void frame_feed(struct frame_dec *d, const void *data, size_t n, frame_fn fn, void *arg);

/* Little-endian helpers for payloads. */
static inline uint32_t frame_u32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline void frame_put_u32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

#endif
