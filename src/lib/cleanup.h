/* Scope-bound cleanup, so that early returns never leak.  A value that changes
 * hands is taken with steal_pointer()/steal_fd(). */
#ifndef PIER_CLEANUP_H
#define PIER_CLEANUP_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void pier_freep(void *p)
{
    void **pp = p;
    free(*pp);
}

static inline void pier_closep(int *fd)
{
    if (*fd >= 0) {
        int saved = errno;
        close(*fd);
        errno = saved;
    }
}

static inline void pier_fclosep(FILE **f)
{
    if (*f != NULL)
        fclose(*f);
}

static inline void pier_strv_freep(char ***v)
{
    if (*v == NULL)
        return;
    for (char **p = *v; *p != NULL; p++)
        free(*p);
    free(*v);
}

#define cleanup_free __attribute__((cleanup(pier_freep)))
#define cleanup_close __attribute__((cleanup(pier_closep)))
#define cleanup_fclose __attribute__((cleanup(pier_fclosep)))
#define cleanup_strv __attribute__((cleanup(pier_strv_freep)))

static inline void *pier_steal_pointer(void *pp)
{
    void **p = pp;
    void *v = *p;
    *p = NULL;
    return v;
}
#define steal_pointer(pp) ((__typeof__(*(pp)))pier_steal_pointer(pp))

static inline int steal_fd(int *fd)
{
    int v = *fd;
    *fd = -1;
    return v;
}

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
