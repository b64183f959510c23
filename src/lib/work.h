/* Blocking work (unpacking an image, say) off the event loop: fn runs on a
 * thread of its own, then done runs on the loop's thread. */
#ifndef PIER_WORK_H
#define PIER_WORK_H

#include "loop.h"

int pier_work(struct pier_loop *loop, void (*fn)(void *data), void (*done)(void *data), void *data,
              pier_err_t *err);

#endif
