/*
 * course_catalog.c — the list of topics (courses/topics.txt: one
 * "SECTION<TAB>TOPIC<TAB>Title" line per topic, in the overview's order) and
 * the lesson file of each (courses/<NN>-<section>/<MM>-<topic>.md), checked
 * against each other: one lesson per topic, front matter agreeing with the
 * list, no lesson file outside the list.
 *
 * Cost: one read of every lesson. Single-threaded; the loaded catalogue is
 * immutable.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "course.h"

/* Section titles as the overview names them (docs/courses.md). */
static const char *const section_titles[][2] = {
    {"classic-ml", "Classic machine learning"}, {"deep-learning", "Deep learning"},
    {"computer-vision", "Computer vision"},     {"nlp-llm", "NLP and LLMs"},
    {"mlops", "MLOps and infrastructure"},      {"databases", "Databases"},
};

static const char *section_title(const char *id)
{
    for (size_t i = 0; i < sizeof section_titles / sizeof *section_titles; i++)
        if (!strcmp(section_titles[i][0], id)) return section_titles[i][1];
    return NULL;
}

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* $env, else ./name, else name/ next to the executable's folder or its
 * parent (build/cml -> <repo>/name). */
static int find_dir(const char *env_name, const char *name, char *buf, size_t len)
{
    const char *env = getenv(env_name);
    if (env && env[0]) {
        snprintf(buf, len, "%s", env);
        return is_dir(buf);
    }
    if (is_dir(name)) {
        snprintf(buf, len, "%s", name);
        return 1;
    }
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        for (int up = 0; up < 2; up++) {
            char *slash = strrchr(exe, '/');
            if (!slash) break;
            *slash = '\0';
            char cand[4200];
            snprintf(cand, sizeof cand, "%s/%s", exe, name);
            if (is_dir(cand) && strlen(cand) < len) {
                snprintf(buf, len, "%s", cand);
                return 1;
            }
        }
    }
    snprintf(buf, len, "%s", name);
    return 0;
}

int course_default_dir(char *buf, size_t len)
{
    return find_dir("CML_COURSES", "courses", buf, len);
}

int course_default_data_dir(char *buf, size_t len)
{
    return find_dir("CML_DATA", "data", buf, len);
}

void course_catalog_free(course_catalog *c)
{
    if (!c) return;
    for (int i = 0; i < c->n_lessons; i++)
        course_lesson_free(&c->lessons[i]);
    free(c->lessons);
    for (int i = 0; i < c->n_sections; i++) {
        free(c->sections[i].id);
        free(c->sections[i].title);
    }
    free(c->sections);
    free(c->dir);
    memset(c, 0, sizeof *c);
}

const course_lesson *course_find(const course_catalog *c, const char *id)
{
    for (int i = 0; i < c->n_lessons; i++)
        if (!strcmp(c->lessons[i].id, id)) return &c->lessons[i];
    return NULL;
}

const course_section *course_section_of(const course_catalog *c, const course_lesson *l)
{
    for (int i = 0; i < c->n_sections; i++)
        if (!strcmp(c->sections[i].id, l->section)) return &c->sections[i];
    return NULL;
}

/* Every *.md file under dir/NN-section/ must be one of the catalogue's. */
static cml_status check_strays(const course_catalog *c, char *err, size_t errlen)
{
    for (int s = 0; s < c->n_sections; s++) {
        char sub[4096];
        snprintf(sub, sizeof sub, "%s/%02d-%s", c->dir, s + 1, c->sections[s].id);
        DIR *d = opendir(sub);
        if (!d) continue;
        struct dirent *e;
        while ((e = readdir(d))) {
            size_t n = strlen(e->d_name);
            if (n < 3 || strcmp(e->d_name + n - 3, ".md")) continue;
            int known = 0;
            for (int i = c->sections[s].first; i < c->sections[s].first + c->sections[s].count;
                 i++) {
                const char *slash = strrchr(c->lessons[i].path, '/');
                if (slash && !strcmp(slash + 1, e->d_name)) known = 1;
            }
            if (!known) {
                snprintf(err, errlen, "%s/%s: lesson file of no topic in %s/topics.txt", sub,
                         e->d_name, c->dir);
                closedir(d);
                return CML_ERR_FORMAT;
            }
        }
        closedir(d);
    }
    return CML_OK;
}

static cml_status add_section(course_catalog *c, const char *id, const char *title, int first)
{
    course_section *ns = realloc(c->sections, sizeof *ns * (size_t)(c->n_sections + 1));
    if (!ns) return CML_ERR_NOMEM;
    c->sections = ns;
    course_section *s = &ns[c->n_sections];
    s->id = strdup(id);
    s->title = strdup(title);
    s->first = first;
    s->count = 0;
    c->n_sections++;
    return s->id && s->title ? CML_OK : CML_ERR_NOMEM;
}

cml_status course_catalog_load(const char *dir, course_catalog *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    char path[4096];
    snprintf(path, sizeof path, "%s/topics.txt", dir);
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen,
                 "%s: cannot open: %s (HINT: run from the repository root or set "
                 "CML_COURSES to the courses folder)",
                 path, strerror(errno));
        return CML_ERR_IO;
    }
    cml_status st = CML_OK;
    char line[1024];
    int lineno = 0;
    if (!(out->dir = strdup(dir))) st = CML_ERR_NOMEM;
    while (st == CML_OK && fgets(line, sizeof line, f)) {
        lineno++;
        size_t n = strlen(line);
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        if (!n || line[0] == '#') continue;
        char *t1 = strchr(line, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
        if (!t2 || strchr(t2 + 1, '\t')) {
            snprintf(err, errlen, "%s:%d: expected SECTION<TAB>TOPIC<TAB>Title", path, lineno);
            st = CML_ERR_FORMAT;
            break;
        }
        *t1 = *t2 = '\0';
        const char *sec = line, *topic = t1 + 1;
        const char *stitle = section_title(sec);
        if (!stitle) {
            snprintf(err, errlen, "%s:%d: unknown section \"%s\"", path, lineno, sec);
            st = CML_ERR_FORMAT;
            break;
        }
        if (course_find(out, topic)) {
            snprintf(err, errlen, "%s:%d: topic \"%s\" listed twice", path, lineno, topic);
            st = CML_ERR_FORMAT;
            break;
        }
        course_section *cur = out->n_sections ? &out->sections[out->n_sections - 1] : NULL;
        if (!cur || strcmp(cur->id, sec)) {
            for (int i = 0; i < out->n_sections; i++)
                if (!strcmp(out->sections[i].id, sec)) {
                    snprintf(err, errlen, "%s:%d: section \"%s\" resumes after another section",
                             path, lineno, sec);
                    st = CML_ERR_FORMAT;
                }
            if (st != CML_OK) break;
            if ((st = add_section(out, sec, stitle, out->n_lessons)) != CML_OK) break;
            cur = &out->sections[out->n_sections - 1];
        }
        int order = cur->count + 1;
        char lpath[4096];
        snprintf(lpath, sizeof lpath, "%s/%02d-%s/%02d-%s.md", dir, out->n_sections, sec, order,
                 topic);
        course_lesson *nl = realloc(out->lessons, sizeof *nl * (size_t)(out->n_lessons + 1));
        if (!nl) {
            st = CML_ERR_NOMEM;
            break;
        }
        out->lessons = nl;
        if (access(lpath, F_OK) != 0) {
            snprintf(err, errlen, "%s:%d: topic \"%s\" has no lesson file %s", path, lineno, topic,
                     lpath);
            st = CML_ERR_FORMAT;
            break;
        }
        course_lesson *l = &out->lessons[out->n_lessons];
        if ((st = course_lesson_load(lpath, l, err, errlen)) != CML_OK) break;
        out->n_lessons++;
        cur->count++;
        if (strcmp(l->id, topic) || strcmp(l->section, sec) || l->order != order) {
            snprintf(err, errlen,
                     "%s:1: front matter says id %s, section %s, order %d; %s:%d says %s, %s, %d",
                     lpath, l->id, l->section, l->order, path, lineno, topic, sec, order);
            st = CML_ERR_FORMAT;
            break;
        }
    }
    fclose(f);
    if (st == CML_OK && !out->n_lessons) {
        snprintf(err, errlen, "%s: no topics", path);
        st = CML_ERR_FORMAT;
    }
    if (st == CML_OK) st = check_strays(out, err, errlen);
    if (st != CML_OK) {
        if (st == CML_ERR_NOMEM) snprintf(err, errlen, "%s: out of memory", path);
        course_catalog_free(out);
    }
    return st;
}
