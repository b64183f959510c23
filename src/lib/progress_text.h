/* docker's go-units sizes and jsonmessage's progress text, which both the
 * daemon (in the "progress" of its pull and push messages) and the CLI
 * (drawing them) write. */
#ifndef PIER_LIB_PROGRESS_TEXT_H
#define PIER_LIB_PROGRESS_TEXT_H

#include <stddef.h>
#include <stdint.h>

/* units.CustomSize("%.*g%s", size, base, units). */
void pier_custom_size(int prec, double size, double base, const char *const *units, size_t nunits,
                      char *out, size_t cap);
/* units.HumanSizeWithPrecision: decimal units ("1.98MB", "512B"). */
void pier_human_size(double size, int prec, char *out, size_t cap);

/* JSONProgress.String at a terminal `width` columns wide: "" with no
 * figures, the current size alone without a total (or past it), else
 * current/total, after a 50-column bar when width > 110 (a daemon, with no
 * terminal, draws as for 200). */
void pier_progress_text(int64_t current, int64_t total, unsigned width, char *out, size_t cap);

#endif
