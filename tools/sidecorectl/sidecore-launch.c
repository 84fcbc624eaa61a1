// SPDX-License-Identifier: GPL-2.0
/*
 * sidecore-launch: start QEMU with a multiqueue virtio-net device on
 * vhost-sidecore, as libvirt does for <driver queues='N'/>.
 *
 * QEMU takes one vhost fd per queue pair only together with the tap's
 * queue fds (-netdev tap,fds=A:B,vhostfds=C:D). This opens the tap's N
 * queues (IFF_MULTI_QUEUE) and the vhost device N times, appends that
 * -netdev option to QEMU's command line and executes QEMU with the fds
 * inherited.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/if_tun.h>

#ifndef SIDECORECTL_VERSION
#define SIDECORECTL_VERSION "unknown"
#endif

#define EXIT_FAIL	1
#define EXIT_USAGE	2
/* the most queues a tap has (MAX_TAP_QUEUES) */
#define MAX_QUEUES	256

static const char *prog = "sidecore-launch";

static void usage(FILE *f)
{
	fprintf(f,
"Usage: %s [OPTIONS] -- QEMU [QEMU-ARGS...]\n"
"\n"
"Open the tap's queues and one vhost-sidecore device per queue pair, add\n"
"  -netdev tap,id=ID,fds=T0:T1:...,vhostfds=V0:V1:...\n"
"to QEMU's arguments and run QEMU. Give QEMU the device that uses it:\n"
"  -device virtio-net-pci,netdev=ID,mq=on,vectors=2*N+2\n"
"and, in the guest, ethtool -L eth0 combined N.\n"
"\n"
"Options:\n"
"  -q, --queues N       queue pairs (1..%d; default 1)\n"
"  -t, --tap NAME       tap device (default vsc0): an existing multiqueue\n"
"                       tap (ip tuntap add NAME mode tap multi_queue\n"
"                       vnet_hdr [user U]) or a new one, gone when QEMU\n"
"                       exits\n"
"  -i, --id ID          the netdev's id (default net0)\n"
"  -d, --device PATH    the vhost device (default /dev/vhost-sidecore-net)\n"
"  -u, --up             bring the tap up before QEMU starts\n"
"  -n, --dry-run        print the command line instead of running it\n"
"  -V, --version        print the version\n"
"  -h, --help           this text\n"
"\n"
"Exit status: QEMU's once it runs; 1 if a tap queue or a device could\n"
"not be opened or QEMU not run, 2 on a usage error.\n",
		prog, MAX_QUEUES);
}

/* Attach one more queue of tap @name (creating it on the first one). */
static int tap_queue(const char *name, int first)
{
	struct ifreq ifr;
	int fd;

	fd = open("/dev/net/tun", O_RDWR);
	if (fd < 0) {
		fprintf(stderr, "%s: /dev/net/tun: %s\n", prog, strerror(errno));
		return -1;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | IFF_MULTI_QUEUE;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		int e = errno;

		if (e == EINVAL && first)
			fprintf(stderr,
				"%s: tap %s: %s (is it a tap without multi_queue or vnet_hdr? ip -d link show %s)\n",
				prog, name, strerror(e), name);
		else if (e == EPERM || e == EBUSY)
			fprintf(stderr,
				"%s: tap %s: %s (create it for this user: ip tuntap add %s mode tap multi_queue vnet_hdr user USER)\n",
				prog, name, strerror(e), name);
		else
			fprintf(stderr, "%s: tap %s: %s\n", prog, name, strerror(e));
		close(fd);
		return -1;
	}
	return fd;
}

static int link_up(const char *name)
{
	struct ifreq ifr;
	int s, r = -1;

	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		goto out;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		goto out;
	ifr.ifr_flags |= IFF_UP;
	r = ioctl(s, SIOCSIFFLAGS, &ifr);
out:
	if (r < 0)
		fprintf(stderr, "%s: bringing %s up: %s\n", prog, name, strerror(errno));
	if (s >= 0)
		close(s);
	return r;
}

/* "A:B:C" of @n fds into @buf; -1 if it does not fit */
static int join_fds(char *buf, size_t len, const int *fds, int n)
{
	size_t off = 0;
	int i, w;

	for (i = 0; i < n; i++) {
		w = snprintf(buf + off, len - off, "%s%d", i ? ":" : "", fds[i]);
		if (w < 0 || (size_t)w >= len - off)
			return -1;
		off += w;
	}
	return 0;
}

/* A netdev id QEMU accepts: a letter, then letters, digits, -, _ and . */
static int valid_id(const char *id)
{
	const char *p;

	if (!*id || strlen(id) > 127 ||
	    !((*id >= 'a' && *id <= 'z') || (*id >= 'A' && *id <= 'Z')))
		return 0;
	for (p = id; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' ||
		      *p == '.'))
			return 0;
	return 1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "queues", required_argument, NULL, 'q' },
		{ "tap", required_argument, NULL, 't' },
		{ "id", required_argument, NULL, 'i' },
		{ "device", required_argument, NULL, 'd' },
		{ "up", no_argument, NULL, 'u' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *tap = "vsc0", *id = "net0";
	const char *dev = "/dev/vhost-sidecore-net";
	int queues = 1, up = 0, dry = 0, c, i, nargs;
	int *tfds, *vfds;
	char tlist[MAX_QUEUES * 12], vlist[MAX_QUEUES * 12];
	char *netdev, **args;
	size_t len;

	while ((c = getopt_long(argc, argv, "+q:t:i:d:unVh", opts, NULL)) != -1) {
		char *end;
		long v;

		switch (c) {
		case 'q':
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || v < 1 || v > MAX_QUEUES) {
				fprintf(stderr, "%s: --queues: '%s' is not a number in 1..%d\n",
					prog, optarg, MAX_QUEUES);
				return EXIT_USAGE;
			}
			queues = v;
			break;
		case 't':
			if (!*optarg || strlen(optarg) >= IFNAMSIZ ||
			    strchr(optarg, '/') || strchr(optarg, ' ') ||
			    strchr(optarg, ',')) {
				fprintf(stderr, "%s: --tap: '%s' is not an interface name (1..%d characters, no '/', ',' or blank)\n",
					prog, optarg, IFNAMSIZ - 1);
				return EXIT_USAGE;
			}
			tap = optarg;
			break;
		case 'i':
			if (!valid_id(optarg)) {
				fprintf(stderr, "%s: --id: '%s' is not a QEMU id (a letter, then letters, digits, '-', '_', '.')\n",
					prog, optarg);
				return EXIT_USAGE;
			}
			id = optarg;
			break;
		case 'd':
			dev = optarg;
			break;
		case 'u':
			up = 1;
			break;
		case 'n':
			dry = 1;
			break;
		case 'V':
			printf("%s %s\n", prog, SIDECORECTL_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "%s: no QEMU command given (%s [OPTIONS] -- QEMU [ARGS...])\n",
			prog, prog);
		return EXIT_USAGE;
	}

	tfds = calloc(queues, sizeof(*tfds));
	vfds = calloc(queues, sizeof(*vfds));
	if (!tfds || !vfds) {
		fprintf(stderr, "%s: out of memory\n", prog);
		return EXIT_FAIL;
	}
	/* Without O_CLOEXEC: QEMU inherits them. */
	for (i = 0; i < queues; i++) {
		tfds[i] = tap_queue(tap, i == 0);
		if (tfds[i] < 0)
			return EXIT_FAIL;
		vfds[i] = open(dev, O_RDWR);
		if (vfds[i] < 0) {
			fprintf(stderr, "%s: %s: %s%s\n", prog, dev, strerror(errno),
				errno == ENOENT ? " (is vhost_sidecore loaded? modprobe vhost_sidecore)" : "");
			return EXIT_FAIL;
		}
	}
	if (up && link_up(tap) < 0)
		return EXIT_FAIL;
	if (join_fds(tlist, sizeof(tlist), tfds, queues) ||
	    join_fds(vlist, sizeof(vlist), vfds, queues)) {
		fprintf(stderr, "%s: too many fds\n", prog);
		return EXIT_FAIL;
	}
	len = strlen(id) + strlen(tlist) + strlen(vlist) + 64;
	netdev = malloc(len);
	nargs = argc - optind;
	args = calloc(nargs + 3, sizeof(*args));
	if (!netdev || !args) {
		fprintf(stderr, "%s: out of memory\n", prog);
		return EXIT_FAIL;
	}
	snprintf(netdev, len, "tap,id=%s,fds=%s,vhostfds=%s", id, tlist, vlist);
	for (i = 0; i < nargs; i++)
		args[i] = argv[optind + i];
	args[nargs] = "-netdev";
	args[nargs + 1] = netdev;
	args[nargs + 2] = NULL;

	if (dry) {
		for (i = 0; args[i]; i++)
			printf("%s%s", i ? " " : "", args[i]);
		printf("\n");
		return 0;
	}
	execvp(args[0], args);
	fprintf(stderr, "%s: %s: %s\n", prog, args[0], strerror(errno));
	return EXIT_FAIL;
}
