/*
 * course.h — the lessons of courses/: loading and checking the lesson files
 * (front matter + a small Markdown subset, see docs/courses.md), the
 * catalogue of courses/topics.txt, their JSON form (`cml course list/show
 * --json`, reused by `cml web`), the terminal rendering, and the registry of
 * live experiments run by `cml course run`.
 *
 * Errors name the file and line ("courses/01-classic-ml/01-x.md:12: ...");
 * they are returned in a caller buffer so the web server can show them too.
 *
 * Thread-safety: a loaded catalogue is immutable; reading it from many
 * threads is safe. Loading/freeing is single-threaded.
 */
#ifndef CML_COURSE_H
#define CML_COURSE_H

#include <stdio.h>

#include "cml/cml.h"
#include "core/strbuf.h"

/* ---------------------------------------------------------------- lessons */

/* One "## Heading" part of a lesson body; markdown is the text under it
 * (without the heading line), trailing blank lines trimmed. */
typedef struct course_part {
    char *heading;
    char *markdown;
    int line; /* line of the heading in the file */
} course_part;

typedef struct course_lesson {
    char *path;                        /* file it was read from */
    char *id, *title, *section, *tags; /* front matter (tags may be "") */
    char *data;                        /* live lessons: data set name, else "" */
    char *status;                      /* text-only lessons: what is missing, or "" */
    int order;                         /* position in its section, 1-based */
    int live;                          /* 1: an experiment runs for it */
    course_part *parts;                /* (n_parts) in file order */
    int n_parts;
} course_lesson;

/* Reads and checks one lesson file. On error returns CML_ERR_FORMAT (or
 * CML_ERR_IO / CML_ERR_NOMEM) and writes "path:line: message" into err. */
cml_status course_lesson_load(const char *path, course_lesson *out, char *err, size_t errlen);
/* Same from memory (name is used in messages). */
cml_status course_lesson_parse(const char *text, size_t len, const char *name, course_lesson *out,
                               char *err, size_t errlen);
void course_lesson_free(course_lesson *l);

/* ---------------------------------------------------------------- catalogue */

typedef struct course_section {
    char *id, *title;
    int first, count; /* lessons[first .. first+count) of the catalogue */
} course_section;

typedef struct course_catalog {
    char *dir;                /* the courses folder */
    course_section *sections; /* (n_sections) in topics.txt order */
    int n_sections;
    course_lesson *lessons; /* (n_lessons) in topics.txt order */
    int n_lessons;
} course_catalog;

/* Reads DIR/topics.txt and the lesson of every topic
 * (DIR/<NN>-<section>/<MM>-<topic>.md); checks that each topic has exactly
 * one lesson file whose front matter agrees with topics.txt (id, section,
 * order, title) and that no lesson file lies outside the list. */
cml_status course_catalog_load(const char *dir, course_catalog *out, char *err, size_t errlen);
void course_catalog_free(course_catalog *c);
/* The lesson with this id, or NULL. */
const course_lesson *course_find(const course_catalog *c, const char *id);
const course_section *course_section_of(const course_catalog *c, const course_lesson *l);

/* Where the lessons are: $CML_COURSES, else ./courses, else the courses/
 * folder next to the executable's parent (build/cml -> ../courses). Writes
 * the folder into buf; returns 0 when none exists (buf then holds
 * "courses"). */
int course_default_dir(char *buf, size_t len);
/* The same for the data sets: $CML_DATA, ./data, or data/ next to the
 * executable's parent. */
int course_default_data_dir(char *buf, size_t len);

/* ---------------------------------------------------------------- output */

/* The JSON of `cml course list --json` / `cml course show ID --json`. */
void course_json_list(cml_sb *sb, const course_catalog *c);
void course_json_show(cml_sb *sb, const course_catalog *c, const course_lesson *l);

/* Terminal rendering of a lesson: headings, paragraphs wrapped to width,
 * bullets, code blocks; **bold**, `code` as ANSI styles when colour != 0,
 * else the markers are dropped. */
void course_render(FILE *f, const course_catalog *c, const course_lesson *l, int colour, int width);
/* Renders one Markdown fragment (a lesson part) the same way. */
void course_render_markdown(FILE *f, const char *md, int colour, int width);

/* ---------------------------------------------------------------- experiments */

typedef struct course_run course_run;

/* An experiment computes its numbers with libcml on real data, draws its
 * plots and fills the run (course_run.c helpers). Returns CML_OK or a
 * status with cml_last_error() set. */
typedef cml_status (*course_exp_fn)(course_run *r);

typedef struct course_experiment {
    const char *id;   /* lesson id */
    const char *data; /* data set shown in the summary ("diabetes") */
    course_exp_fn fn;
} course_experiment;

/* The registry (course_registry.c): NULL when a lesson has no experiment. */
const course_experiment *course_experiment_find(const char *id);
/* The i-th registered experiment (NULL past the end); *n gets the count. */
const course_experiment *course_experiment_at(int i, int *n);

#endif
