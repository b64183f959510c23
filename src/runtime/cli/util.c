#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "../../lib/file.h"
#include "cli.h"

int cli_print_json(struct json_t *j, bool indent)
{
    char *s = json_dumps(j, indent ? JSON_INDENT(2) : JSON_COMPACT);
    if (s == NULL)
        return -1;
    fputs(s, stdout);
    fputc('\n', stdout);
    free(s);
    return 0;
}
