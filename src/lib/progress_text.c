#include "progress_text.h"

#include <stdio.h>

void pier_custom_size(int prec, double size, double base, const char *const *units, size_t nunits,
                      char *out, size_t cap)
{
    size_t i = 0;
    while (size >= base && i < nunits - 1) {
        size /= base;
        i++;
    }
    /* C's %g and Go's agree for these values */
    snprintf(out, cap, "%.*g%s", prec, size, units[i]);
}

void pier_human_size(double size, int prec, char *out, size_t cap)
{
    static const char *const decimal[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"};
    pier_custom_size(prec, size, 1000.0, decimal, sizeof decimal / sizeof decimal[0], out, cap);
}

void pier_progress_text(int64_t current, int64_t total, unsigned width, char *out, size_t cap)
{
    out[0] = '\0';
    if (current <= 0 && total <= 0)
        return;
    char cur[32], tot[32];
    pier_human_size((double)current, 4, cur, sizeof cur);
    if (total <= 0) {
        snprintf(out, cap, "%8s", cur);
        return;
    }
    pier_human_size((double)total, 4, tot, sizeof tot);
    int pct = (int)((double)current / (double)total * 100) / 2;
    /* a daemon's figures are not trusted to stay within the bar */
    if (pct > 50)
        pct = 50;
    if (pct < 0)
        pct = 0;
    char bar[64] = "";
    if (width > 110) {
        size_t k = 0;
        bar[k++] = '[';
        for (int i = 0; i < pct; i++)
            bar[k++] = '=';
        bar[k++] = '>';
        for (int i = pct; i < 50; i++)
            bar[k++] = ' ';
        bar[k++] = ']';
        bar[k++] = ' ';
        bar[k] = '\0';
    }
    if (current > total)
        snprintf(out, cap, "%s%8s", bar, cur);
    else
        snprintf(out, cap, "%s%8s/%s", bar, cur, tot);
}
