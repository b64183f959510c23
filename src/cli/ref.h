/* Image references as distribution/reference reads them: "busybox" is
 * docker.io/library/busybox, tagged latest when no tag or digest is given. */
#ifndef PIER_CLI_REF_H
#define PIER_CLI_REF_H

#include <stdbool.h>
#include <stddef.h>

struct ref {
    char name[512];   /* normalized: "docker.io/library/busybox" */
    char tag[129];    /* "" when none */
    char digest[160]; /* "" when none */
};

/* ParseNormalizedNamed; -1 with docker's message ("invalid reference
 * format", "... must be lowercase") in msg. */
int ref_parse(const char *s, struct ref *r, char *msg, size_t cap);
/* A 64-hex image ID, or sha256:ID: not a name. */
bool ref_is_id(const char *s);
/* TagNameOnly: "latest" when there is neither tag nor digest. */
void ref_default_tag(struct ref *r);
/* FamiliarString: "busybox:latest", "localhost:5000/x:1". */
void ref_familiar(const struct ref *r, char *out, size_t cap);
/* FamiliarName: the name alone. */
const char *ref_familiar_name(const char *name);

#endif
