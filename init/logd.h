/* SPDX-License-Identifier: MIT */
/*
 * logd.h - [system] log_dir: PID 1 hands every record to nucleus-logd
 * (logd.c, a fresh exec of our binary) over a datagram socket and never
 * waits for it; logship.c is PID 1's side (start, restart, status).
 */
#ifndef NUCLEUS_LOGD_H
#define NUCLEUS_LOGD_H

#include "nucleus.h"

#define LOGD_NAME    "nucleus-logd"
#define LOGD_SYNC_MS 5000		  /* dirty files are fsynced at least this often */
#define LOGD_MSG_MAX (REC_LINE_MAX + 256) /* one record on the wire */
#define LOGD_BATCH   (64 * 1024)	  /* a datagram: records, each after its u32 length */
#define LOGD_SNDBUF  (4 << 20)		  /* a burst PID 1 may send ahead of the writer */

#include "records.h"

int logd_main(int argc, char **argv);

struct supervisor;
struct strbuf;
/* Starts the writer once [system] log_dir can take files (its mount is there). */
void logship_check(struct supervisor *s);
/* What the loop's round made goes to the writer in one datagram (sup_settle). */
void logship_flush(void);
/* The writer is behind: the services' pipes are not read meanwhile. */
bool logship_blocked(void);
/* ", \"log_dir\": {...}" or null. */
void logship_status_json(struct supervisor *s, struct strbuf *sb);

#endif
