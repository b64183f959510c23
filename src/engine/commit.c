/* What `docker commit` takes from a container: its writable layer, its
 * image and its Config; the layer itself becomes an image in src/image. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/cleanup.h"
#include "internal.h"

/* What a container's start makes in its layer when the image lacks it,
 * and docker's init layer holds instead: its commits leave them out. */
const char *const engine_mountpoints[] = {"etc/hosts", "etc/hostname", "etc/resolv.conf",
                                          "etc/mtab",  ".dockerenv",   "proc",
                                          "sys",       "dev",          NULL};

int engine_commit_source(struct engine *e, struct container *c, struct engine_commit_src *out,
                         pier_err_t *err)
{
    (void)e;
    memset(out, 0, sizeof *out);
    if (c->state == C_DEAD)
        return pier_fail(err, EBUSY, "You cannot commit container %s which is Dead", c->id);
    if (c->removing || c->state == C_REMOVING)
        return pier_fail(err, EBUSY, "You cannot commit container %s which is being removed",
                         c->id);
    char dir[PATH_MAX];
    ct_dir(c, dir, sizeof dir);
    if (asprintf(&out->upper, "%s/upper", dir) < 0) {
        out->upper = NULL;
        return pier_error(err, ENOMEM, "commit");
    }
    out->image_id = c->image_id ? strdup(c->image_id) : NULL;
    out->config = json_deep_copy(c->config);
    if ((c->image_id && out->image_id == NULL) || out->config == NULL) {
        engine_commit_src_free(out);
        return pier_error(err, ENOMEM, "commit");
    }
    snprintf(out->id, sizeof out->id, "%s", c->id);
    out->running = c->state == C_RUNNING;
    return 0;
}

void engine_commit_src_free(struct engine_commit_src *src)
{
    free(src->upper);
    free(src->image_id);
    json_decref(src->config);
    memset(src, 0, sizeof *src);
}

void engine_commit_done(struct engine *e, const char *id, const char *image_id,
                        const char *image_ref, const char *comment)
{
    pier_err_t err = NULL;
    struct container *c = engine_find(e, id, &err);
    pier_error_free(&err);
    if (c == NULL)
        return;
    ct_event(c, "commit",
             json_pack("{s:s, s:s, s:s}", "comment", comment ? comment : "", "imageID", image_id,
                       "imageRef", image_ref ? image_ref : ""));
}
