/* A small unit test harness: TEST(name) { CHECK(...); } registers itself;
 * tests/unit/main.c runs them all. */
#ifndef PIER_UNIT_H
#define PIER_UNIT_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

struct unit_test {
    const char *name;
    void (*fn)(void);
    struct unit_test *next;
};

void unit_register(struct unit_test *t);
void unit_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define TEST(name)                                                                                 \
    static void name(void);                                                                        \
    __attribute__((constructor)) static void reg_##name(void)                                      \
    {                                                                                              \
        static struct unit_test t = {#name, name, NULL};                                           \
        unit_register(&t);                                                                         \
    }                                                                                              \
    static void name(void)

/* A scratch directory (heap path) removed however the test ends, a failed
 * CHECK included. */
void unit_remove_dir(char **dir);
#define cleanup_dir __attribute__((cleanup(unit_remove_dir)))

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            unit_fail(__FILE__, __LINE__, "%s", #cond);                                            \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define CHECK_STR(a, b)                                                                            \
    do {                                                                                           \
        const char *a_ = (a), *b_ = (b);                                                           \
        if (a_ == NULL || b_ == NULL || strcmp(a_, b_) != 0) {                                     \
            unit_fail(__FILE__, __LINE__, "%s == %s: `%s` != `%s`", #a, #b, a_ ? a_ : "(null)",    \
                      b_ ? b_ : "(null)");                                                         \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define CHECK_CONTAINS(hay, needle)                                                                \
    do {                                                                                           \
        const char *h_ = (hay), *n_ = (needle);                                                    \
        if (h_ == NULL || strstr(h_, n_) == NULL) {                                                \
            unit_fail(__FILE__, __LINE__, "`%s` does not contain `%s`", h_ ? h_ : "(null)", n_);   \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#endif
