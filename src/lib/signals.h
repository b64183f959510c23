/* Signal names, as docker, runc and kill(1) spell them. */
#ifndef PIER_SIGNALS_H
#define PIER_SIGNALS_H

/* "KILL", "SIGKILL", "kill", "9", "RTMIN+3": the signal number, or -1. */
int pier_signal_parse(const char *s);
/* "SIGKILL" for 9; NULL if unnamed. */
const char *pier_signal_name(int sig);

#endif
