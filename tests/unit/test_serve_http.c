/*
 * test_serve_http.c — the server's public API over a real loopback socket
 * (raw HTTP/1.1 written by hand, so nothing hides what goes on the wire):
 * /ready is 503 until cml_server_load and 200 after, a predict before load
 * is 503, option and name validation, a port already in use, malformed HTTP,
 * and cml_server_reload called over and over while four client threads
 * predict: every request must get a 200 (reference-counted swap), and
 * cml_server_shutdown must drain to zero.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "cml/cml.h"
#include "cml/serve.h"
#include "helpers/golden.h"

static _Atomic int log_lines, bad_lines;

/* Runs on the server's threads: counts only (cmocka asserts are not
 * thread-safe). */
static void count_log(const char *line, void *user)
{
    (void)user;
    size_t n = strlen(line);
    if (!n || line[0] != '{' || line[n - 1] != '}' || strchr(line, '\n'))
        atomic_fetch_add(&bad_lines, 1);
    atomic_fetch_add(&log_lines, 1);
}

/* Sends raw request text to 127.0.0.1:port; returns the status code (0 on
 * a connection failure) and, when body != NULL, the response body.
 * half_close: shut our side after sending (a client that gives up). */
static int http_raw(int port, const char *text, char *body, size_t len, int half_close)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return 0;
    /* a cut-short request gets no answer until the server's idle timeout */
    struct timeval tv = {half_close ? 1 : 10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a)) {
        close(fd);
        return 0;
    }
    size_t n = strlen(text), off = 0;
    while (off < n) {
        ssize_t w = send(fd, text + off, n - off, MSG_NOSIGNAL);
        if (w <= 0) break;
        off += (size_t)w;
    }
    if (half_close) shutdown(fd, SHUT_WR);
    enum { CAP = 1 << 20 };
    char *buf = malloc(CAP);
    assert_non_null(buf);
    size_t got = 0;
    ssize_t r;
    while (got < CAP - 1 && (r = recv(fd, buf + got, CAP - 1 - got, 0)) > 0)
        got += (size_t)r;
    buf[got] = '\0';
    close(fd);
    int status = 0;
    if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1) status = 0;
    if (body) {
        const char *b = strstr(buf, "\r\n\r\n");
        snprintf(body, len, "%s", b ? b + 4 : "");
    }
    free(buf);
    return status;
}

static int http(int port, const char *text, char *body, size_t len)
{
    return http_raw(port, text, body, len, 0);
}

static int get(int port, const char *path, char *body, size_t len)
{
    char req[512];
    snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", path);
    return http(port, req, body, len);
}

static int post(int port, const char *path, const char *json, char *body, size_t len)
{
    char req[2048];
    snprintf(req, sizeof req,
             "POST %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: "
             "application/json\r\nContent-Length: %zu\r\n\r\n%s",
             path, strlen(json), json);
    return http(port, req, body, len);
}

static void fit_iris(const char *path)
{
    double *X, *y;
    int64_t n, p;
    test_load_dataset("iris", &X, &n, &p, &y);
    cml_model *m;
    assert_int_equal(cml_model_create("logistic_regression", &m), CML_OK);
    assert_int_equal(cml_model_set_param(m, "max_iter", "500"), CML_OK);
    cml_matrix Xv = cml_matrix_view(X, n, p);
    assert_int_equal(cml_model_fit(m, &Xv, y, NULL), CML_OK);
    assert_int_equal(cml_model_save(m, path, NULL, NULL), CML_OK);
    cml_model_free(m);
    free(X);
    free(y);
}

static void test_validation(void **state)
{
    (void)state;
    cml_server *s;
    cml_serve_opts o = cml_serve_opts_default();
    o.port = 70000;
    assert_int_equal(cml_server_create(&o, &s), CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), "port"));
    o = cml_serve_opts_default();
    o.rate_limit = -1;
    assert_int_equal(cml_server_create(&o, &s), CML_ERR_ARG);
    o = cml_serve_opts_default();
    o.api_key_file = "/nonexistent/keys";
    assert_int_equal(cml_server_create(&o, &s), CML_ERR_IO);
    o = cml_serve_opts_default();
    o.port = 0;
    assert_int_equal(cml_server_create(&o, &s), CML_OK);
    assert_int_equal(cml_server_load(s), CML_ERR_ARG); /* nothing to serve */
    assert_int_equal(cml_server_add_model(s, "a/b", "x.gguf"), CML_ERR_ARG);
    assert_int_equal(cml_server_add_model(s, "", "x.gguf"), CML_ERR_ARG);
    assert_int_equal(cml_server_add_model(s, "ok-name_1.v2", "x.gguf"), CML_OK);
    assert_int_equal(cml_server_add_model(s, "ok-name_1.v2", "y.gguf"), CML_ERR_ARG);
    assert_non_null(strstr(cml_last_error(), "twice"));
    assert_int_equal(cml_server_port(s), 0);
    cml_server_free(s);
    cml_server_free(NULL);
}

typedef struct client {
    int port, n, failures;
} client;

static void *hammer(void *arg)
{
    client *c = arg;
    char body[4096];
    for (int i = 0; i < c->n; i++) {
        int st = post(c->port, "/v1/models/iris/predict", "{\"rows\":[[5.1,3.5,1.4,0.2]]}", body,
                      sizeof body);
        if (st != 200 || !strstr(body, "\"predictions\":[0]")) c->failures++;
    }
    return NULL;
}

static void test_lifecycle(void **state)
{
    (void)state;
    char path[] = "/tmp/cml_serve_http_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    fit_iris(path);

    cml_serve_opts o = cml_serve_opts_default();
    o.port = 0;
    o.threads = 4;
    o.log = count_log;
    cml_server *s;
    assert_int_equal(cml_server_create(&o, &s), CML_OK);
    assert_int_equal(cml_server_add_model(s, "iris", path), CML_OK);
    assert_int_equal(cml_server_start(s), CML_OK);
    int port = cml_server_port(s);
    assert_true(port > 0);
    char body[4096];

    /* listening, not loaded: alive but not ready */
    assert_int_equal(get(port, "/health", body, sizeof body), 200);
    assert_int_equal(get(port, "/ready", body, sizeof body), 503);
    assert_non_null(strstr(body, "loading"));
    assert_int_equal(post(port, "/v1/models/iris/predict", "{\"rows\":[[1,2,3,4]]}", NULL, 0), 503);
    assert_int_equal(get(port, "/v1/models/iris", body, sizeof body), 200);
    assert_non_null(strstr(body, "\"loaded\":false"));

    /* a second server on the same port fails cleanly */
    cml_serve_opts o2 = cml_serve_opts_default();
    o2.port = port;
    cml_server *s2;
    assert_int_equal(cml_server_create(&o2, &s2), CML_OK);
    assert_int_equal(cml_server_start(s2), CML_ERR_IO);
    assert_non_null(strstr(cml_last_error(), "cannot listen"));
    cml_server_free(s2);

    assert_int_equal(cml_server_load(s), CML_OK);
    assert_int_equal(get(port, "/ready", body, sizeof body), 200);
    assert_int_equal(
        post(port, "/v1/models/iris/predict", "{\"rows\":[[5.1,3.5,1.4,0.2]]}", body, sizeof body),
        200);
    assert_string_equal(body, "{\"model\":\"iris\",\"predictions\":[0]}");

    /* malformed HTTP is MHD's to refuse; the server carries on */
    http(port, "GARBAGE\r\n\r\n", NULL, 0);
    http(port, "POST /v1/models/iris/predict HTTP/1.1\r\nContent-Length: -5\r\n\r\n", NULL, 0);
    http_raw(port, "POST /v1/models/iris/predict HTTP/1.1\r\nHost: x\r\n", NULL, 0, 1); /* cut */
    assert_int_equal(get(port, "/health", NULL, 0), 200);

    /* reload over and over under load: no request may fail */
    enum { THREADS = 4 };
    client c[THREADS];
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++) {
        c[i] = (client){port, 60, 0};
        assert_int_equal(pthread_create(&t[i], NULL, hammer, &c[i]), 0);
    }
    for (int i = 0; i < 30; i++) {
        assert_int_equal(cml_server_reload(s), CML_OK);
        struct timespec ts = {0, 2000000};
        nanosleep(&ts, NULL);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(c[i].failures, 0);
    }
    /* a reload that fails keeps the model */
    FILE *f = fopen(path, "w");
    fputs("broken", f);
    fclose(f);
    assert_int_not_equal(cml_server_reload(s), CML_OK);
    assert_non_null(strstr(cml_last_error(), "model \"iris\""));
    assert_int_equal(
        post(port, "/v1/models/iris/predict", "{\"rows\":[[5.1,3.5,1.4,0.2]]}", body, sizeof body),
        200);
    char *page = malloc(1 << 20);
    assert_non_null(page);
    assert_int_equal(get(port, "/metrics", page, 1 << 20), 200);
    assert_non_null(strstr(page, "cml_model_reloads_total{model=\"iris\",result=\"ok\"} 30\n"));
    assert_non_null(strstr(page, "cml_model_reloads_total{model=\"iris\",result=\"error\"} 1\n"));
    assert_non_null(strstr(page, "cml_predictions_total{model=\"iris\"} 242\n"));
    free(page);

    assert_int_equal(cml_server_shutdown(s, 5), 0);
    assert_int_equal(cml_server_in_flight(s), 0);
    assert_int_equal(cml_server_shutdown(s, 5), 0);     /* twice is fine */
    assert_int_equal(get(port, "/health", NULL, 0), 0); /* nobody listens */
    /* one line per request at least (plus the lifecycle events) */
    assert_true(atomic_load(&log_lines) > THREADS * 60);
    assert_int_equal(atomic_load(&bad_lines), 0);
    cml_server_free(s);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_validation),
        cmocka_unit_test(test_lifecycle),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
