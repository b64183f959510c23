#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>

#include "../../src/lib/file.h"

#include "unit.h"

static struct unit_test *head, **tail = &head;
static bool failed;

void unit_register(struct unit_test *t)
{
    *tail = t;
    tail = &t->next;
}

void unit_remove_dir(char **dir)
{
    if (*dir == NULL)
        return;
    pier_err_t err = NULL;
    pier_rm_rf_at(AT_FDCWD, *dir, &err);
    pier_error_free(&err);
    free(*dir);
}

void unit_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("    %s:%d: ", file, line);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    failed = true;
}

int main(int argc, char **argv)
{
    int pass = 0, fail = 0;
    for (struct unit_test *t = head; t; t = t->next) {
        if (argc > 1 && strstr(t->name, argv[1]) == NULL)
            continue;
        failed = false;
        t->fn();
        printf("%s - unit: %s\n", failed ? "FAIL" : "ok", t->name);
        if (failed)
            fail++;
        else
            pass++;
        fflush(stdout);
    }
    printf("unit: %d passed, %d failed\n", pass, fail);
    return fail ? 1 : 0;
}
