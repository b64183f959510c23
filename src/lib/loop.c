#include "loop.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

struct pier_watch {
    struct pier_loop *loop;
    int fd;
    bool owns_fd;
    bool dead; /* deleted during this round of events: freed after it */
    pier_watch_fn fn;
    void *data;
    struct pier_watch *next_dead;
};

struct pier_loop {
    int epfd;
    bool quit;
    int code;
    bool dispatching;
    struct pier_watch *dead; /* freed when the round of events ends */
};

uint64_t pier_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int pier_loop_new(struct pier_loop **out, pier_err_t *err)
{
    struct pier_loop *l = calloc(1, sizeof *l);
    if (l == NULL)
        return pier_error(err, ENOMEM, "event loop");
    l->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (l->epfd < 0) {
        free(l);
        return pier_error(err, errno, "epoll_create1");
    }
    *out = l;
    return 0;
}

void pier_loop_free(struct pier_loop *l)
{
    if (l == NULL)
        return;
    close(l->epfd);
    free(l);
}

struct pier_watch *pier_watch_add(struct pier_loop *l, int fd, uint32_t events, pier_watch_fn fn,
                                  void *data, pier_err_t *err)
{
    struct pier_watch *w = calloc(1, sizeof *w);
    if (w == NULL) {
        pier_error(err, ENOMEM, "watch");
        return NULL;
    }
    *w = (struct pier_watch){.loop = l, .fd = fd, .fn = fn, .data = data};
    struct epoll_event ev = {.events = events, .data.ptr = w};
    if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
        pier_error(err, errno, "watch fd %d", fd);
        free(w);
        return NULL;
    }
    return w;
}

int pier_watch_mod(struct pier_watch *w, uint32_t events)
{
    struct epoll_event ev = {.events = events, .data.ptr = w};
    return epoll_ctl(w->loop->epfd, EPOLL_CTL_MOD, w->fd, &ev);
}

int pier_watch_fd(const struct pier_watch *w)
{
    return w->fd;
}

void pier_watch_del(struct pier_watch *w)
{
    if (w == NULL || w->dead)
        return;
    epoll_ctl(w->loop->epfd, EPOLL_CTL_DEL, w->fd, NULL);
    if (w->owns_fd)
        close(w->fd);
    w->dead = true;
    /* Events for it may still be pending in this round: free it after. */
    if (w->loop->dispatching) {
        w->next_dead = w->loop->dead;
        w->loop->dead = w;
    } else {
        free(w);
    }
}

struct pier_watch *pier_timer_add(struct pier_loop *l, uint64_t ms, uint64_t repeat,
                                  pier_watch_fn fn, void *data, pier_err_t *err)
{
    int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    if (fd < 0) {
        pier_error(err, errno, "timerfd_create");
        return NULL;
    }
    struct pier_watch *t = pier_watch_add(l, fd, EPOLLIN, fn, data, err);
    if (t == NULL) {
        close(fd);
        return NULL;
    }
    t->owns_fd = true;
    if (pier_timer_set(t, ms, repeat) < 0) {
        pier_error(err, errno, "timerfd_settime");
        pier_timer_del(t);
        return NULL;
    }
    return t;
}

int pier_timer_set(struct pier_watch *t, uint64_t ms, uint64_t repeat)
{
    /* A zero it_value disarms a timer: "now" is one nanosecond. */
    struct itimerspec its = {
        .it_value = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L + (ms == 0 ? 1 : 0)},
        .it_interval = {(time_t)(repeat / 1000), (long)(repeat % 1000) * 1000000L},
    };
    return timerfd_settime(t->fd, 0, &its, NULL);
}

void pier_timer_del(struct pier_watch *t)
{
    pier_watch_del(t);
}

void pier_loop_quit(struct pier_loop *l, int code)
{
    l->quit = true;
    l->code = code;
}

int pier_loop_run(struct pier_loop *l)
{
    struct epoll_event evs[64];
    while (!l->quit) {
        int n = epoll_wait(l->epfd, evs, 64, -1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        l->dispatching = true;
        for (int i = 0; i < n && !l->quit; i++) {
            struct pier_watch *w = evs[i].data.ptr;
            if (w->dead)
                continue;
            if (w->owns_fd) {
                /* timers: consume the expiration count */
                uint64_t count;
                if (read(w->fd, &count, sizeof count) < 0 && errno == EAGAIN)
                    continue;
            }
            w->fn(l, w, evs[i].events, w->data);
        }
        l->dispatching = false;
        while (l->dead != NULL) {
            struct pier_watch *w = l->dead;
            l->dead = w->next_dead;
            free(w);
        }
    }
    return l->code;
}
