/* One epoll event loop per process: watches on fds, timers (timerfd), and
 * a way out.  Callbacks run on the loop's thread, one at a time; none may
 * block. */
#ifndef PIER_LOOP_H
#define PIER_LOOP_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"

struct pier_loop;
struct pier_watch;

typedef void (*pier_watch_fn)(struct pier_loop *loop, struct pier_watch *w, uint32_t events,
                              void *data);

int pier_loop_new(struct pier_loop **out, pier_err_t *err);
void pier_loop_free(struct pier_loop *loop);

/* Watch fd for events (EPOLLIN, EPOLLOUT, ...); the watch is freed by
 * pier_watch_del (which does not close the fd). */
struct pier_watch *pier_watch_add(struct pier_loop *loop, int fd, uint32_t events, pier_watch_fn fn,
                                  void *data, pier_err_t *err);
int pier_watch_mod(struct pier_watch *w, uint32_t events);
void pier_watch_del(struct pier_watch *w);
int pier_watch_fd(const struct pier_watch *w);

/* A timer: once after ms (repeat 0) or every repeat ms; the watch's fd is
 * a timerfd owned by it, closed by pier_timer_del. */
struct pier_watch *pier_timer_add(struct pier_loop *loop, uint64_t ms, uint64_t repeat,
                                  pier_watch_fn fn, void *data, pier_err_t *err);
int pier_timer_set(struct pier_watch *t, uint64_t ms, uint64_t repeat);
void pier_timer_del(struct pier_watch *t);

/* Run until pier_loop_quit; returns its code. */
int pier_loop_run(struct pier_loop *loop);
void pier_loop_quit(struct pier_loop *loop, int code);

/* Monotonic milliseconds. */
uint64_t pier_now_ms(void);

#endif
