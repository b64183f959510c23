/* The device rules of linux.resources.devices: v1's devices.allow/deny, and
 * on cgroup v2 an eBPF program attached to the container's cgroup (also on
 * hybrid hosts, where the v1 rules and the program say the same). */
#ifndef PIER_RT_CGROUP_DEVICES_H
#define PIER_RT_CGROUP_DEVICES_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "../lib/error.h"
#include "cgroup.h"

struct rt_dev_rule {
    bool allow;
    char type;            /* 'a', 'c', 'b' */
    int64_t major, minor; /* -1: any */
    unsigned access;      /* bits: 1 mknod, 2 read, 4 write */
};

/* Parse the rules and add runc's always-allowed devices (null, zero, full,
 * random, urandom, tty, console, ptmx, pts, and mknod of any). */
int rt_dev_rules_parse(json_t *arr, struct rt_dev_rule **out, size_t *n, pier_err_t *err);

/* The eBPF program for the rules (later rules win); returns the number of
 * instructions written to insns (cap: max), or -1. */
int rt_dev_rules_bpf(const struct rt_dev_rule *rules, size_t n, void *insns, size_t max);

/* Whether the rules allow access (bits as above) to a device: what the
 * program computes, for tests. */
bool rt_dev_rules_allow(const struct rt_dev_rule *rules, size_t n, char type, int64_t major,
                        int64_t minor, unsigned access);

int rt_cgroup_devices_apply(const struct rt_cgroup *cg, json_t *rules, pier_err_t *err);

#endif
