/*
 * registry.c — the static const table of every estimator, built from
 * registry.def so adding one is a single line there.
 */
#include <string.h>

#include "cml/model.h"
#include "core/internal.h"

#define CML_ESTIMATOR(sym) extern const cml_estimator cml_est_##sym;
#include "core/registry.def"
#undef CML_ESTIMATOR

static const cml_estimator *const registry[] = {
#define CML_ESTIMATOR(sym) &cml_est_##sym,
#include "core/registry.def"
#undef CML_ESTIMATOR
    NULL};

const cml_estimator *const *cml_estimator_list(int *n)
{
    *n = (int)(sizeof registry / sizeof registry[0]) - 1;
    return registry;
}

/* Whether `name` is one of the comma-separated `aliases`. */
static int has_alias(const char *aliases, const char *name)
{
    size_t len = strlen(name);
    const char *p = aliases;
    while (p && *p) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        if (n == len && strncmp(p, name, n) == 0) return 1;
        p = comma ? comma + 1 : NULL;
    }
    return 0;
}

const cml_estimator *cml_estimator_find(const char *name)
{
    for (int i = 0; registry[i]; i++)
        if (strcmp(registry[i]->name, name) == 0 ||
            (registry[i]->aliases && has_alias(registry[i]->aliases, name)))
            return registry[i];
    return NULL;
}
