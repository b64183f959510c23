#include "ident.h"

#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "jsonstr.h"

int pier_random_id(char out[65])
{
    unsigned char b[32];
    if (getrandom(b, sizeof b, 0) != sizeof b)
        return -1;
    for (int i = 0; i < 32; i++)
        sprintf(out + 2 * i, "%02x", b[i]);
    return 0;
}

char *pier_now_rfc3339(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    char buf[64];
    pier_time_rfc3339nano(buf, sizeof buf, ts.tv_sec, ts.tv_nsec);
    return strdup(buf);
}

bool pier_name_valid(const char *name)
{
    if (name == NULL || name[0] == '\0')
        return false;
    for (const char *p = name; *p; p++) {
        char c = *p;
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum && (p == name || (c != '_' && c != '.' && c != '-')))
            return false;
    }
    return true;
}
