/*
 * error.c — status names, the thread-local last-error message, and the log
 * callback. The library never prints: messages reach the user only through
 * cml_last_error() and the callback set with cml_log_set().
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/internal.h"

#define CML_ERRMSG_LEN 1024

static _Thread_local char errmsg[CML_ERRMSG_LEN];

static cml_log_fn log_fn;
static void *log_user;

const char *cml_status_name(cml_status s)
{
    static const char *const names[] = {"ok",     "nomem",       "arg",        "io",
                                        "format", "version",     "not_fitted", "unsupported",
                                        "device", "convergence", "internal"};
    if ((unsigned)s < sizeof names / sizeof names[0]) return names[s];
    return "unknown";
}

const char *cml_last_error(void)
{
    return errmsg;
}

void cml_clear_error(void)
{
    errmsg[0] = '\0';
}

cml_status cml_failv(cml_status s, const char *fmt, va_list ap)
{
    vsnprintf(errmsg, sizeof errmsg, fmt, ap);
    return s;
}

cml_status cml_fail(cml_status s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cml_failv(s, fmt, ap);
    va_end(ap);
    return s;
}

cml_status cml_fail_context(cml_status s, const char *fmt, ...)
{
    char prefix[256];
    char old[CML_ERRMSG_LEN - 260];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    snprintf(old, sizeof old, "%s", errmsg);
    snprintf(errmsg, sizeof errmsg, "%s: %s", prefix, old);
    return s;
}

void cml_log_set(cml_log_fn fn, void *user_data)
{
    log_fn = fn;
    log_user = user_data;
}

int cml_log_enabled(void)
{
    return log_fn != NULL;
}

void cml_log(cml_log_level level, const char *fmt, ...)
{
    char msg[CML_ERRMSG_LEN];
    va_list ap;
    if (!log_fn) return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    log_fn(level, msg, log_user);
}
