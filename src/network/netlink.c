/* rtnetlink requests, each sent with an ack asked for and its reply read
 * at once: a few microseconds each, so they run on pierd's loop. */
#include "netlink.h"

#include "ipam.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int nl_open(struct nl *n, pier_err_t *err)
{
    n->s = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
    if (n->s == NULL)
        return pier_error(err, errno, "netlink socket");
    if (mnl_socket_bind(n->s, 0, MNL_SOCKET_AUTOPID) < 0) {
        int e = errno;
        mnl_socket_close(n->s);
        n->s = NULL;
        return pier_error(err, e, "bind netlink socket");
    }
    n->portid = mnl_socket_get_portid(n->s);
    n->seq = (unsigned)time(NULL);
    return 0;
}

void nl_close(struct nl *n)
{
    if (n->s)
        mnl_socket_close(n->s);
    n->s = NULL;
}

/* Send h and read replies until its ack (or error); cb sees data replies. */
static int talk(struct nl *n, struct nlmsghdr *h, mnl_cb_t cb, void *data)
{
    h->nlmsg_seq = ++n->seq;
    if (mnl_socket_sendto(n->s, h, h->nlmsg_len) < 0)
        return -1;
    char buf[MNL_SOCKET_BUFFER_SIZE];
    for (;;) {
        ssize_t r = mnl_socket_recvfrom(n->s, buf, sizeof buf);
        if (r < 0)
            return -1;
        int rc = mnl_cb_run(buf, (size_t)r, h->nlmsg_seq, n->portid, cb, data);
        if (rc <= MNL_CB_STOP)
            return rc < 0 ? -1 : 0;
    }
}

static struct nlmsghdr *msg(char *buf, uint16_t type, uint16_t flags)
{
    struct nlmsghdr *h = mnl_nlmsg_put_header(buf);
    h->nlmsg_type = type;
    h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
    return h;
}

struct idx {
    int index;
};

static int link_cb(const struct nlmsghdr *h, void *data)
{
    struct ifinfomsg *ifi = mnl_nlmsg_get_payload(h);
    ((struct idx *)data)->index = ifi->ifi_index;
    return MNL_CB_OK;
}

int nl_ifindex(struct nl *n, const char *name, pier_err_t *err)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    struct nlmsghdr *h = msg(buf, RTM_GETLINK, 0);
    struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(h, sizeof *ifi);
    ifi->ifi_family = AF_UNSPEC;
    mnl_attr_put_strz(h, IFLA_IFNAME, name);
    struct idx x = {0};
    if (talk(n, h, link_cb, &x) < 0) {
        if (errno == ENODEV)
            return 0;
        return pier_error(err, errno, "find link %s", name);
    }
    return x.index;
}

int nl_bridge_add(struct nl *n, const char *name, pier_err_t *err)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    struct nlmsghdr *h = msg(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
    struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(h, sizeof *ifi);
    ifi->ifi_family = AF_UNSPEC;
    ifi->ifi_flags = ifi->ifi_change = IFF_UP;
    mnl_attr_put_strz(h, IFLA_IFNAME, name);
    struct nlattr *li = mnl_attr_nest_start(h, IFLA_LINKINFO);
    mnl_attr_put_strz(h, IFLA_INFO_KIND, "bridge");
    mnl_attr_nest_end(h, li);
    if (talk(n, h, NULL, NULL) == 0)
        return 0;
    if (errno != EEXIST)
        return pier_error(err, errno, "create bridge %s", name);
    int index = nl_ifindex(n, name, err);
    if (index <= 0)
        return index < 0 ? -1 : pier_error(err, ENODEV, "bridge %s", name);
    return nl_link_up(n, index, err);
}

int nl_link_del(struct nl *n, const char *name, pier_err_t *err)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    struct nlmsghdr *h = msg(buf, RTM_DELLINK, 0);
    struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(h, sizeof *ifi);
    ifi->ifi_family = AF_UNSPEC;
    mnl_attr_put_strz(h, IFLA_IFNAME, name);
    if (talk(n, h, NULL, NULL) < 0 && errno != ENODEV)
        return pier_error(err, errno, "delete link %s", name);
    return 0;
}

int nl_link_up(struct nl *n, int ifindex, pier_err_t *err)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    struct nlmsghdr *h = msg(buf, RTM_NEWLINK, 0);
    struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(h, sizeof *ifi);
    ifi->ifi_family = AF_UNSPEC;
    ifi->ifi_index = ifindex;
    ifi->ifi_flags = ifi->ifi_change = IFF_UP;
    if (talk(n, h, NULL, NULL) < 0)
        return pier_error(err, errno, "set link %d up", ifindex);
    return 0;
}

int nl_hairpin(struct nl *n, const char *name, pier_err_t *err)
{
    int ifindex = nl_ifindex(n, name, err);
    if (ifindex <= 0)
        return ifindex < 0 ? -1 : pier_fail(err, ENODEV, "no link %s", name);
    char buf[MNL_SOCKET_BUFFER_SIZE];
    struct nlmsghdr *h = msg(buf, RTM_SETLINK, 0);
    struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(h, sizeof *ifi);
    ifi->ifi_family = AF_BRIDGE;
    ifi->ifi_index = ifindex;
    struct nlattr *info = mnl_attr_nest_start(h, IFLA_PROTINFO);
    mnl_attr_put_u8(h, IFLA_BRPORT_MODE, 1);
    mnl_attr_nest_end(h, info);
    if (talk(n, h, NULL, NULL) < 0)
        return pier_error(err, errno, "hairpin mode on bridge port %s", name);
    return 0;
}

int nl_addr_add(struct nl *n, int ifindex, uint32_t addr, int prefix, pier_err_t *err)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    struct nlmsghdr *h = msg(buf, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
    struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(h, sizeof *ifa);
    ifa->ifa_family = AF_INET;
    ifa->ifa_prefixlen = (unsigned char)prefix;
    ifa->ifa_index = (unsigned)ifindex;
    uint32_t be = htonl(addr);
    mnl_attr_put_u32(h, IFA_LOCAL, be);
    mnl_attr_put_u32(h, IFA_ADDRESS, be);
    if (prefix < 31) {
        mnl_attr_put_u32(h, IFA_BROADCAST, htonl(addr | ~ipam_mask(prefix)));
    }
    if (talk(n, h, NULL, NULL) < 0 && errno != EEXIST)
        return pier_error(err, errno, "add an address to link %d", ifindex);
    return 0;
}

int nl_route_default(struct nl *n, uint32_t gw, pier_err_t *err)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    struct nlmsghdr *h = msg(buf, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
    struct rtmsg *rt = mnl_nlmsg_put_extra_header(h, sizeof *rt);
    rt->rtm_family = AF_INET;
    rt->rtm_table = RT_TABLE_MAIN;
    rt->rtm_protocol = RTPROT_BOOT;
    rt->rtm_scope = RT_SCOPE_UNIVERSE;
    rt->rtm_type = RTN_UNICAST;
    mnl_attr_put_u32(h, RTA_GATEWAY, htonl(gw));
    if (talk(n, h, NULL, NULL) < 0 && errno != EEXIST)
        return pier_error(err, errno, "add the default route");
    return 0;
}

int nl_veth_add(struct nl *n, const char *host_name, int master, const char *peer_name,
                const uint8_t mac[6], int netns_fd, pier_err_t *err)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    struct nlmsghdr *h = msg(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
    struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(h, sizeof *ifi);
    ifi->ifi_family = AF_UNSPEC;
    ifi->ifi_flags = ifi->ifi_change = IFF_UP;
    mnl_attr_put_strz(h, IFLA_IFNAME, host_name);
    mnl_attr_put_u32(h, IFLA_MASTER, (uint32_t)master);
    struct nlattr *li = mnl_attr_nest_start(h, IFLA_LINKINFO);
    mnl_attr_put_strz(h, IFLA_INFO_KIND, "veth");
    struct nlattr *data = mnl_attr_nest_start(h, IFLA_INFO_DATA);
    struct nlattr *peer = mnl_attr_nest_start(h, VETH_INFO_PEER);
    struct ifinfomsg *pi = mnl_nlmsg_put_extra_header(h, sizeof *pi);
    /* not up here: the peer would open before its pair is joined
     * (ENOTCONN); the caller sets it up in its namespace */
    pi->ifi_family = AF_UNSPEC;
    mnl_attr_put_strz(h, IFLA_IFNAME, peer_name);
    mnl_attr_put_u32(h, IFLA_NET_NS_FD, (uint32_t)netns_fd);
    mnl_attr_put(h, IFLA_ADDRESS, 6, mac);
    mnl_attr_nest_end(h, peer);
    mnl_attr_nest_end(h, data);
    mnl_attr_nest_end(h, li);
    if (talk(n, h, NULL, NULL) < 0)
        return pier_error(err, errno, "create veth pair %s/%s", host_name, peer_name);
    return 0;
}

struct links_of {
    int master;
    void (*fn)(void *data, const char *name);
    void *data;
};

static int links_attr(const struct nlattr *a, void *data)
{
    const struct nlattr **tb = data;
    int type = mnl_attr_get_type(a);
    if (type == IFLA_IFNAME || type == IFLA_MASTER)
        tb[type] = a;
    return MNL_CB_OK;
}

static int links_cb(const struct nlmsghdr *h, void *data)
{
    struct links_of *l = data;
    const struct nlattr *tb[IFLA_MAX + 1] = {0};
    mnl_attr_parse(h, sizeof(struct ifinfomsg), links_attr, tb);
    if (tb[IFLA_MASTER] && tb[IFLA_IFNAME] && (int)mnl_attr_get_u32(tb[IFLA_MASTER]) == l->master)
        l->fn(l->data, mnl_attr_get_str(tb[IFLA_IFNAME]));
    return MNL_CB_OK;
}

int nl_links_of(struct nl *n, int master, void (*fn)(void *data, const char *name), void *data,
                pier_err_t *err)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    struct nlmsghdr *h = mnl_nlmsg_put_header(buf);
    h->nlmsg_type = RTM_GETLINK;
    h->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(h, sizeof *ifi);
    ifi->ifi_family = AF_UNSPEC;
    mnl_attr_put_u32(h, IFLA_MASTER, (uint32_t)master);
    struct links_of l = {master, fn, data};
    if (talk(n, h, links_cb, &l) < 0)
        return pier_error(err, errno, "list the links of %d", master);
    return 0;
}
