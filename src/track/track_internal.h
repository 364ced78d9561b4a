/*
 * track_internal.h — what the run store (store.c) and the model registry
 * (registry.c) share: the open handle, the transaction-with-retry helper
 * and small SQLite conveniences. Never installed.
 */
#ifndef CML_TRACK_INTERNAL_H
#define CML_TRACK_INTERNAL_H

#include <sqlite3.h>

#include "cml/track.h"
#include "core/internal.h"

struct cml_track {
    sqlite3 *db;
    char *path;     /* as given */
    char *dir;      /* directory holding the store ("." for a bare name) */
    double timeout; /* seconds a write waits for the lock */
};

/* A body returns an SQLite result code, or TRACK_CML(status) after setting
 * the cml error itself (unknown run, bad name...): that rolls back without
 * retry and track_tx returns the status. */
#define TRACK_CML(st) (-(int)(st))
typedef int (*track_tx_fn)(cml_track *t, void *ctx);

/* Runs body inside BEGIN IMMEDIATE ... COMMIT, retrying the whole
 * transaction (with a short jittered sleep) while another process holds the
 * write lock, until t->timeout. `what` names the operation in errors
 * ("record run", "register model"). */
cml_status track_tx(cml_track *t, const char *what, track_tx_fn body, void *ctx);

/* Maps an SQLite failure to a cml status with a message naming the store. */
cml_status track_sql_fail(cml_track *t, int rc, const char *what);

/* sqlite3_prepare_v2 of a constant statement. */
int track_prepare(cml_track *t, const char *sql, sqlite3_stmt **st);

/* Copy of column i as a malloc'd string ("" for NULL); NULL on NOMEM. */
char *track_col_str(sqlite3_stmt *st, int i);

/* Seconds since the Unix epoch (wall clock, for records). */
double track_wall_time(void);

#endif
