#include "work.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct job {
    pthread_t thread;
    int efd;
    struct pier_watch *w;
    void (*fn)(void *data);
    void (*done)(void *data);
    void *data;
};

static void *run(void *arg)
{
    struct job *j = arg;
    j->fn(j->data);
    uint64_t one = 1;
    while (write(j->efd, &one, sizeof one) < 0 && errno == EINTR)
        ;
    return NULL;
}

static void finished(struct pier_loop *l, struct pier_watch *w, uint32_t ev, void *data)
{
    (void)l;
    (void)w;
    (void)ev;
    struct job *j = data;
    pthread_join(j->thread, NULL);
    pier_watch_del(j->w);
    close(j->efd);
    j->done(j->data);
    free(j);
}

int pier_work(struct pier_loop *loop, void (*fn)(void *data), void (*done)(void *data), void *data,
              pier_err_t *err)
{
    struct job *j = calloc(1, sizeof *j);
    if (j == NULL)
        return pier_error(err, ENOMEM, "work");
    *j = (struct job){.fn = fn, .done = done, .data = data};
    j->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (j->efd < 0) {
        free(j);
        return pier_error(err, errno, "eventfd");
    }
    j->w = pier_watch_add(loop, j->efd, EPOLLIN, finished, j, err);
    if (j->w == NULL) {
        close(j->efd);
        free(j);
        return -1;
    }
    int e = pthread_create(&j->thread, NULL, run, j);
    if (e != 0) {
        pier_watch_del(j->w);
        close(j->efd);
        free(j);
        return pier_error(err, e, "start a thread");
    }
    return 0;
}
