/*
 * `preflight run FILE --http-response`: one HTTP/1.x exchange on stdin, for a socket unit with
 * Accept=yes and StandardInput=socket (README.md, "Health endpoint: socket activation").
 */
#ifndef PREFLIGHT_HTTP_RESPONSE_H
#define PREFLIGHT_HTTP_RESPONSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The request line and headers together may take this many bytes; past it: 431. */
#define HTTP_REQUEST_MAX_BYTES 8192
/* From start to the end of the headers (past it: 408), and again for writing the answer. */
#define HTTP_READ_TIMEOUT_MS 5000
#define HTTP_WRITE_TIMEOUT_MS 5000

enum http_parse {
        HTTP_PARSE_MORE, /* the headers have not ended yet, and may still fit */
        HTTP_PARSE_DONE, /* req->status says what to answer (0: run the chain) */
};

struct http_request {
        int status;         /* 0 for a request to answer with the chain; else 400, 405, 431, 505 */
        const char *reason; /* why status, for the journal; static text */
        bool head;          /* HEAD: the headers only */
        size_t header_len;  /* bytes up to and including the empty line, when DONE */
        char method[16];    /* as sent, cut; for the journal */
        char target[128];   /* as sent, cut; for the journal */
};

/*
 * Reads the request line and headers in buf[0..len) (the first bytes of the connection), at most
 * max of them: HTTP_PARSE_MORE while more could complete them, else HTTP_PARSE_DONE with *req
 * filled in. Pure: no I/O, no allocation; any bytes give an answer.
 */
enum http_parse http_request_parse(const char *buf, size_t len, size_t max,
                                   struct http_request *req);

/* The text after "HTTP/1.1 NNN " for the statuses preflight answers. */
const char *http_status_text(int status);

/* One exchange: set up by http_exchange_begin(), answered by http_exchange_end(). */
struct http_exchange {
        int sock; /* the connection, moved off fd 0 */
        int body; /* a memfd that fd 1 points to while the chain runs: its JSON Lines */
        struct http_request req;
        bool extra; /* bytes came after the headers (a body, a pipelined request) */
        uint64_t start_ms;
};

/*
 * Moves the connection off fds 0, 1 and 2 (0 becomes /dev/null, 1 a memory file for the JSON
 * Lines, 2 the journal when it was the connection), then reads the request within its bounds.
 * PF_OK with *run set: run the chain with JSON Lines on stdout, then call http_exchange_end().
 * PF_OK with *run clear: answered already (an error status), or the client went away.
 * Otherwise an exit code (PF_INTERNAL), after a line on stderr.
 */
int http_exchange_begin(struct http_exchange *x, bool *run);

/*
 * Answers the request from the chain's result: chain_code 0 → 200, a check's code → 503, a chain
 * file that could not be used (loaded is false) → 500; the body is what the chain wrote to
 * stdout. Returns the exit code: 0 once answered (the answer carries the result), the chain
 * file's code when it could not be used, 1 on an internal error.
 */
int http_exchange_end(struct http_exchange *x, bool loaded, int chain_code);

#endif
