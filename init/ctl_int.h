/* SPDX-License-Identifier: MIT */
/*
 * ctl_int.h - what the pieces of the control server share: links (one
 * framed byte stream each: a control.sock client, or the control port)
 * and the sessions (channels) on them. ctl_link.c moves the bytes,
 * control.c runs the commands, ctl_exec.c runs `exec`, ctl_port.c finds
 * the port. Nothing else includes this.
 */
#ifndef NUCLEUS_CTL_INT_H
#define NUCLEUS_CTL_INT_H

#include "control.h"
#include "frame.h"

/*
 * Output waits in a link's queue until the peer takes it. Streams that can
 * lose (events) stop adding above LINK_OUT_SOFT and count what they drop;
 * exec stops reading its command's output there (the command waits, not
 * PID 1); nothing is queued past LINK_OUT_HARD.
 */
#define LINK_OUT_SOFT (64 * 1024)
#define LINK_OUT_HARD (1024 * 1024)
#define LINK_CHANS    16		  /* sessions at once on one control.sock client */
#define PORT_CHANS    64		  /* and on the port, for every host client together */
#define EXEC_CREDIT   EXEC_INITIAL_CREDIT /* stdin a client may send ahead of the command */
#define CTL_MAX_WORDS 256		  /* of one command, exec's argv included */

struct ctl_link;
struct ctl_exec;
struct ctl_logs;
struct ctl_wait;

enum chan_kind {
	CH_FREE,
	CH_SETTLE, /* start/stop/restart: answered once the service settles */
	CH_WAIT,   /* `wait`: answered once every name is in its state */
	CH_EVENTS, /* `events`: until the client closes it */
	CH_EXEC,   /* `exec`: stdio both ways, then the exit code */
	CH_LOGS,   /* `logs -f`: until the client closes it */
};

struct ctl_chan {
	struct ctl_link *link;
	uint32_t id;
	enum chan_kind kind;
	struct service *svc; /* CH_SETTLE */
	int settle_kind;     /* WAIT_START or WAIT_STOP */
	uint64_t dropped;    /* CH_EVENTS, CH_LOGS: lines lost to a full queue, not told yet */
	struct ctl_wait *wait;
	struct ctl_exec *exec;
	struct ctl_logs *logs;
};

struct ctl_link {
	int fd;
	bool port;	     /* the virtio-serial port (else a control.sock client) */
	bool dead;	     /* closed once the current callback is done */
	uint64_t since;	     /* accepted, ms */
	uint64_t away_since; /* the port first read 0 (no host), ms; 0: it did not */
	struct timer idle;   /* control.sock: until its first session opens */
	struct timer resume; /* reading goes on in the next round (fairness) */
	struct frame_dec dec;
	struct strbuf out; /* frames for the peer, from outoff */
	size_t outoff;
	struct ctl_chan *chans;
	int nchans;
	uint64_t frames_in;
};

extern struct supervisor *ctl_sup;

/* ---- ctl_link.c ---- */

/* A link over @fd (non-blocking, CLOEXEC), watched by the loop. NULL: closed. */
struct ctl_link *link_new(int fd, bool port);
void link_close(struct ctl_link *lk);
/* The port's peer went away, or a new one said FRAME_SYNC: every session ends. */
void link_reset(struct ctl_link *lk);
/* Bytes queued and not yet taken by the peer. */
size_t link_queued(const struct ctl_link *lk);
/* Queues one frame (@len <= FRAME_MAX); -ENOBUFS past LINK_OUT_HARD. */
int link_send(struct ctl_link *lk, enum frame_type t, uint32_t chan, const void *data, size_t len);
/* Every control.sock client and the port, for the state watchers. */
void links_foreach(void (*fn)(struct ctl_chan *ch, void *arg), void *arg);
/* The port's link, or NULL. */
struct ctl_link *link_port(void);
/* The instance nonce HELLO carries: a new one means a new nucleus-init. */
uint64_t link_instance(void);

/* Text on a session, in FRAME_MAX pieces. */
void chan_write(struct ctl_chan *ch, enum frame_type t, const char *s, size_t n);
/* Ends the session: its exit code to the client, the slot freed. */
void chan_exit(struct ctl_chan *ch, int code);
/* Frees the slot without a word (the client is gone). */
void chan_free(struct ctl_chan *ch);

/* ---- control.c ---- */

/* The state watchers and the event listener: control_open() calls it. */
void ctl_watch(struct supervisor *s);
/* F_OPEN: the words of a command on a fresh session. */
void ctl_open(struct ctl_chan *ch, char **words, int n);
/* The client closed the session, or the link is going: undo what runs. */
void ctl_abandon(struct ctl_chan *ch);
/* The link's queue went below LINK_OUT_SOFT: streams may go on. */
void ctl_drained(struct ctl_chan *ch);

/* ---- ctl_exec.c ---- */

/* `exec [-t] [-e K=V]... NAME -- CMD ARGS...` on @ch. */
void exec_open(struct ctl_chan *ch, char **w, int n);
/* F_IN, F_WINCH, F_SIGNAL for an exec session. */
void exec_input(struct ctl_chan *ch, const struct frame *f);
void exec_abandon(struct ctl_chan *ch);
void exec_drained(struct ctl_chan *ch);

/* ---- ctl_logs.c ---- */

/* `logs [-f] [-n N] [--since DUR] [--json] [NAME...]`: an exit code, or -1 (following). */
int logs_open(struct ctl_chan *ch, char **w, int n, struct strbuf *out);
void logs_abandon(struct ctl_chan *ch);
void logs_drained(struct ctl_chan *ch);
/* Follows the records: ctl_watch() calls it. */
void logs_watch(void);

#endif
