/*
 * bench_params.h — what the bench programs share: setting a model's
 * parameters from KEY=VALUE arguments.
 */
#ifndef CML_BENCH_PARAMS_H
#define CML_BENCH_PARAMS_H

#include <stdio.h>
#include <string.h>

#include "cml/cml.h"

/* Sets args[0..n) ("key=value") on m; on error prints one line naming the
 * program and the argument, and returns nonzero. */
static inline int bench_set_params(cml_model *m, const char *prog, char **args, int n)
{
    for (int i = 0; i < n; i++) {
        char key[128];
        const char *eq = strchr(args[i], '=');
        if (!eq || (size_t)(eq - args[i]) >= sizeof key) {
            fprintf(stderr, "%s: expected key=value, got %s\n", prog, args[i]);
            return 1;
        }
        memcpy(key, args[i], (size_t)(eq - args[i]));
        key[eq - args[i]] = '\0';
        if (cml_model_set_param(m, key, eq + 1) != CML_OK) {
            fprintf(stderr, "%s: %s\n", prog, cml_last_error());
            return 1;
        }
    }
    return 0;
}

#endif
