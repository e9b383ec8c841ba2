// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hvdump-blast: send UDP datagrams to ADDR:PORT as fast as the network lets it, for ever
 * (bench/damage's "busy" scenario: the guest's virtio network busy when it crashes).
 *
 *   hvdump-blast ADDR PORT [BYTES]
 *
 * BYTES per datagram (default 1400: one Ethernet frame each).  Send errors (no listener, a
 * full queue) are ignored: the point is the traffic, not its delivery.  Exits 1 on a bad
 * argument or when no socket can be made; otherwise never.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int main(int argc, char **argv)
{
	static unsigned char buf[65000];
	struct sockaddr_in to = { .sin_family = AF_INET };
	unsigned long len = 1400, port;
	char *end;
	int fd;

	if (argc < 3 || argc > 4 || inet_pton(AF_INET, argv[1], &to.sin_addr) != 1) {
		fprintf(stderr, "usage: hvdump-blast ADDR PORT [BYTES]\n");
		return 1;
	}
	port = strtoul(argv[2], &end, 10);
	if (*end || port == 0 || port > 65535) {
		fprintf(stderr, "hvdump-blast: not a port: %s\n", argv[2]);
		return 1;
	}
	if (argc == 4) {
		len = strtoul(argv[3], &end, 10);
		if (*end || len == 0 || len > sizeof(buf)) {
			fprintf(stderr, "hvdump-blast: BYTES: 1..%zu, not %s\n", sizeof(buf), argv[3]);
			return 1;
		}
	}
	to.sin_port = htons((unsigned short)port);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)(i * 131 + 7);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("hvdump-blast: socket");
		return 1;
	}
	for (;;)
		(void)sendto(fd, buf, len, 0, (struct sockaddr *)&to, sizeof(to));
}
