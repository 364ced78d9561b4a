/*
 * report.c — the training-metric hook: iterative fits (boosting rounds,
 * network epochs, solver iterations) report "name at step = value" here, and
 * whoever listens (experiment tracking, a progress display, a lesson's loss
 * curve) receives them without the estimator knowing who it is.
 *
 * The hook is per thread: a fit reports from the thread that called it, so two
 * fits in two threads (a server, parallel cross-validation) each reach their
 * own listener. Reporting from an OpenMP worker is a bug: workers see no hook.
 */
#include "internal.h"

static _Thread_local cml_metric_fn hook_fn;
static _Thread_local void *hook_user;

void cml_metric_hook_set(cml_metric_fn fn, void *user_data)
{
    hook_fn = fn;
    hook_user = user_data;
}

int cml_metric_hook_active(void)
{
    return hook_fn != NULL;
}

void cml_report_metric(const char *name, int64_t step, double value)
{
    if (hook_fn) hook_fn(hook_user, name, step, value);
}
