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
#define LOGD_SYNC_MS 5000 /* dirty files are fsynced at least this often */
#define LOGD_TELL_MS 50	  /* its counts reach PID 1 this soon after they change */
#define LOGD_SRC_MAX 4096 /* a source's name, or the path of a file: output */
#define LOGD_MSG_MAX (REC_LINE_MAX + LOGD_SRC_MAX + 32) /* one record on the wire */
#define LOGD_BATCH   (64 * 1024) /* a datagram: records, each after its u32 length */
#define LOGD_SNDBUF  (4 << 20)	 /* a burst PID 1 may send ahead of the writer */

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
/* The writer takes a file: output's bytes now (it runs and is not behind). */
bool logship_takes_raw(void);
/* @n bytes a service wrote to its `file:PATH` output, for the writer to append. */
void logship_raw(const char *path, const char *data, size_t n);
/* ", \"log_dir\": {...}" or null. */
void logship_status_json(struct supervisor *s, struct strbuf *sb);

#endif
