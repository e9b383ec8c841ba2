// SPDX-License-Identifier: GPL-2.0-or-later
// slowclient SOCKET INTERVAL-MS SECONDS: a hostile control client.  Connects to the UNIX
// socket and sends one byte of a request every INTERVAL-MS, reconnecting whenever the server
// hangs up, for SECONDS.  Prints how many connections it made.
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char req[] = "{\"cmd\": \"status\"}";
	long long end;
	unsigned conns = 0;
	int ms;

	if (argc != 4 || strlen(argv[1]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "usage: slowclient SOCKET INTERVAL-MS SECONDS\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	strcpy(sa.sun_path, argv[1]);
	ms = atoi(argv[2]);
	end = now_ms() + atoll(argv[3]) * 1000;
	while (now_ms() < end) {
		int fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			if (fd >= 0)
				close(fd);
			usleep(50000);
			continue;
		}
		if (!conns++) {
			printf("connected\n");
			fflush(stdout);
		}
		for (size_t i = 0; now_ms() < end; i = (i + 1) % (sizeof(req) - 1)) {
			if (write(fd, &req[i], 1) != 1)
				break; /* the server hung up: again */
			usleep((useconds_t)ms * 1000);
		}
		close(fd);
	}
	printf("%u connections\n", conns);
	return 0;
}
