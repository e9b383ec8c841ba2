// SPDX-License-Identifier: GPL-2.0-or-later
// Off-host copies over ssh.  One ssh per step (make the directory, each file, the renames):
// each is a short remote shell command whose only variable parts are single-quoted paths, and
// a file's bytes go through ssh's stdin while they are hashed here, so a dump of many GiB is
// read once and never held.  ssh's stdin is a socket, not a pipe: when the remote side stops
// reading (it could not create the file), send() says EPIPE instead of this process getting
// SIGPIPE, and what the remote side said on stderr becomes the reason.
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dump/offhost.h"
#include "util/argv.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/size.h"
#include "util/why.h"

extern char **environ;

#define CHUNK (1u << 20)
#define OUT_MAX 4096      /* what a step prints: a path, a hash */
#define ERR_KEEP 2048     /* the end of ssh's stderr, for the reason */
#define PROGRESS_MS 5000

int offhost_option_check(const char *opt, char *why, size_t whylen)
{
	size_t i = 0;

	if (!((opt[0] >= 'a' && opt[0] <= 'z') || (opt[0] >= 'A' && opt[0] <= 'Z')))
		i = SIZE_MAX;
	for (; i != SIZE_MAX && opt[i] && opt[i] != '=' && opt[i] != ' '; i++)
		if (!((opt[i] >= 'a' && opt[i] <= 'z') || (opt[i] >= 'A' && opt[i] <= 'Z') ||
		      (opt[i] >= '0' && opt[i] <= '9')))
			i = SIZE_MAX - 1;
	if (i >= SIZE_MAX - 1 || !opt[i] || !opt[i + 1]) {
		why_set(why, whylen, "%.64s: an ssh option is NAME=VALUE (as in "
			"UserKnownHostsFile=/etc/hvdump/known_hosts)", opt);
		return -EINVAL;
	}
	for (; opt[i]; i++)
		if ((unsigned char)opt[i] < 0x20 || opt[i] == 0x7f) {
			why_set(why, whylen, "an ssh option may hold no control character");
			return -EINVAL;
		}
	return 0;
}

/* ---- one ssh ------------------------------------------------------------------------------- */

/* What goes into one ssh's stdin and what comes out. */
struct ssh_io {
	int fd;                   /* stream LEN bytes from FD, or with FD < 0 from BUF */
	const unsigned char *buf;
	uint64_t len, sent;
	EVP_MD_CTX *md;           /* hashes what is sent (NULL: nothing to hash) */
	const char *label;        /* progress lines (NULL: none) */
	char out[OUT_MAX];        /* ssh's stdout */
	size_t outlen;
	char err[ERR_KEEP + 1];   /* the end of its stderr */
	size_t errlen;
};

static void build_argv(const struct offhost_dir *d, const char *cmd, struct argv *a)
{
	const struct offhost_opts *o = d->o;
	const char *ssh = o->ssh ? o->ssh : getenv("HVDUMP_SSH");
	unsigned to = o->timeout_s ? o->timeout_s : OFFHOST_TIMEOUT_S;

	argv_add(a, ssh && ssh[0] ? ssh : "ssh");
	argv_add(a, "-o");
	argv_add(a, "BatchMode=yes");
	for (size_t i = 0; i < o->noptions && i < OFFHOST_MAX_OPTIONS; i++) {
		argv_add(a, "-o");
		argv_add(a, o->options[i]);
	}
	argv_add(a, "-T"); /* no terminal, no X11 or agent forwarding, no forwarded ports */
	argv_add(a, "-x");
	argv_add(a, "-a");
	argv_add(a, "-o");
	argv_add(a, "ClearAllForwardings=yes");
	argv_add(a, "-o");
	argv_add(a, "PermitLocalCommand=no");
	argv_addf(a, "-oConnectTimeout=%u", to);
	argv_addf(a, "-oServerAliveInterval=%u", to < 15 ? to : 15);
	argv_add(a, "-oServerAliveCountMax=3");
	if (o->identity) {
		argv_add(a, "-i");
		argv_add(a, o->identity);
		argv_add(a, "-oIdentitiesOnly=yes");
	}
	if (d->t->port)
		argv_addf(a, "-p%u", d->t->port);
	if (d->t->user[0]) {
		argv_add(a, "-l");
		argv_add(a, d->t->user);
	}
	argv_add(a, "--");
	argv_add(a, d->t->host);
	argv_add(a, cmd);
}

/* Start ARGV with its stdin on a socket (*IN) and its stdout, stderr on pipes; no other file
 * of ours open in it, default signal handling and no signal blocked.  0 or -errno. */
static int spawn_ssh(char **argv, pid_t *pid, int *in, int *out, int *err)
{
	int sv[2] = { -1, -1 }, po[2] = { -1, -1 }, pe[2] = { -1, -1 }, r;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, all;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0 ||
	    pipe2(po, O_CLOEXEC) < 0 || pipe2(pe, O_CLOEXEC) < 0) {
		r = -errno;
		goto close_fds;
	}
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, sv[1], 0);
	posix_spawn_file_actions_adddup2(&fa, po[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	posix_spawnattr_init(&at);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &all);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	r = -posix_spawnp(pid, argv[0], &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	if (r == 0) {
		close(sv[1]);
		close(po[1]);
		close(pe[1]);
		*in = sv[0];
		*out = po[0];
		*err = pe[0];
		return 0;
	}
close_fds:
	for (int i = 0; i < 2; i++) {
		if (sv[i] >= 0)
			close(sv[i]);
		if (po[i] >= 0)
			close(po[i]);
		if (pe[i] >= 0)
			close(pe[i]);
	}
	return r;
}

static void progress_line(const struct ssh_io *io, long long t0)
{
	long long ms = clock_ms() - t0;
	char done[32], total[32], rate[32];

	if (io->sent == io->len) {
		log_info("%s: all %s sent, the remote side syncs and hashes it", io->label,
			 size_human(io->len, total, sizeof(total)));
		return;
	}
	size_human(io->sent, done, sizeof(done));
	size_human(io->len, total, sizeof(total));
	size_human(ms > 0 ? io->sent * 1000 / (uint64_t)ms : 0, rate, sizeof(rate));
	log_info("%s: %s of %s sent (%u%%), %s/s", io->label, done, total,
		 (unsigned)(io->sent * 100 / io->len), rate);
}

/* Send the next part of IO's bytes to IN (ready for writing).  0; 1 when all is sent;
 * -EPIPE when the remote side stopped reading; -errno for the local file. */
static int feed(struct ssh_io *io, int in, unsigned char *chunk, size_t *have, size_t *off)
{
	const unsigned char *p;
	size_t n;
	ssize_t w;

	if (io->fd >= 0 && *off == *have) {
		size_t want = io->len - io->sent < CHUNK ? (size_t)(io->len - io->sent) : CHUNK;
		ssize_t got = read(io->fd, chunk, want);
		if (got < 0)
			return errno == EINTR ? 0 : -errno;
		if (got == 0)
			return -ENODATA; /* it shrank */
		EVP_DigestUpdate(io->md, chunk, (size_t)got);
		*have = (size_t)got;
		*off = 0;
	}
	p = io->fd >= 0 ? chunk + *off : io->buf + io->sent;
	n = io->fd >= 0 ? *have - *off
			: (io->len - io->sent < CHUNK ? (size_t)(io->len - io->sent) : CHUNK);
	w = send(in, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (w < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -EPIPE;
	*off += (size_t)w;
	io->sent += (uint64_t)w;
	return io->sent == io->len ? 1 : 0;
}

/* Read what FD has into BUF (keeping the last CAP bytes when KEEP_END, else the first).
 * false at end of file. */
static bool drain(int fd, char *buf, size_t cap, size_t *len, bool keep_end)
{
	char tmp[4096];
	ssize_t n = read(fd, tmp, sizeof(tmp));

	if (n < 0)
		return errno == EINTR || errno == EAGAIN;
	for (ssize_t i = 0; i < n; i++) {
		if (*len == cap && keep_end) {
			memmove(buf, buf + cap / 2, cap - cap / 2);
			*len = cap - cap / 2;
		}
		if (*len < cap)
			buf[(*len)++] = tmp[i];
	}
	return n > 0;
}

/* The last non-empty line of TEXT, control characters shown as '?', into OUT. */
static void last_line(const char *text, size_t len, char *out, size_t outlen)
{
	size_t e = len, s;

	while (e > 0 && (text[e - 1] == '\n' || text[e - 1] == '\r' || text[e - 1] == ' '))
		e--;
	for (s = e; s > 0 && text[s - 1] != '\n'; s--)
		;
	size_t n = e - s < outlen - 1 ? e - s : outlen - 1;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)text[s + i];
		out[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	out[n] = '\0';
}

/* The poll loop of one ssh: feed its stdin, collect its stdout and stderr, stop it after
 * TIMEOUT_MS without progress.  0, or -ETIMEDOUT, -EPIPE (its stdin closed early), or the
 * local file's -errno. */
static int pump(struct ssh_io *io, int in, int out, int err, long long timeout_ms)
{
	unsigned char *chunk = io->fd >= 0 && io->len ? malloc(CHUNK) : NULL;
	size_t have = 0, off = 0;
	bool in_open = io->len > 0, out_open = true, err_open = true;
	long long t0 = clock_ms(), last = t0, next_log = t0 + PROGRESS_MS;
	int res = 0;

	if (io->fd >= 0 && io->len && !chunk) {
		close(in);
		return -ENOMEM;
	}
	if (!in_open)
		close(in);
	while (out_open || err_open) {
		struct pollfd p[3] = { { .fd = out_open ? out : -1, .events = POLLIN },
				       { .fd = err_open ? err : -1, .events = POLLIN },
				       { .fd = in_open ? in : -1, .events = POLLOUT } };
		int n = poll(p, 3, 1000);

		if (n < 0 && errno != EINTR) {
			res = -errno;
			break;
		}
		if (n <= 0) {
			/* once all is sent, the remote side syncs and hashes it: give it time */
			long long slack = in_open ? 0 : (long long)(io->len / (20u << 20)) * 1000;
			if (clock_ms() - last > timeout_ms + slack) {
				res = -ETIMEDOUT;
				break;
			}
			continue;
		}
		last = clock_ms();
		if (p[0].revents)
			out_open = drain(out, io->out, sizeof(io->out) - 1, &io->outlen, false);
		if (p[1].revents)
			err_open = drain(err, io->err, ERR_KEEP, &io->errlen, true);
		if (in_open && p[2].revents) {
			int f = feed(io, in, chunk, &have, &off);
			if (f != 0) {
				close(in);
				in_open = false;
			}
			if (f < 0 && f != -EPIPE) {
				res = f;
				break;
			}
		}
		if (io->label && last >= next_log && io->len) {
			progress_line(io, t0);
			next_log = last + PROGRESS_MS;
		}
	}
	if (in_open)
		close(in);
	free(chunk);
	if (res == 0 && io->sent != io->len)
		res = -EPIPE;
	return res;
}

/* Run CMD on D's host with IO.  0 when it exits 0 having read all of IO's bytes; else
 * -errno with WHY: what ssh or the remote shell said last, or why it was stopped. */
static int ssh_run(struct offhost_dir *d, const char *cmd, struct ssh_io *io, char *why,
		   size_t whylen)
{
	unsigned to = d->o->timeout_s ? d->o->timeout_s : OFFHOST_TIMEOUT_S;
	struct argv a = { 0 };
	int in = -1, out = -1, err = -1, st = 0, r;
	char said[512];
	pid_t pid = 0;

	build_argv(d, cmd, &a);
	r = argv_error(&a);
	if (r == 0)
		r = spawn_ssh(a.v, &pid, &in, &out, &err);
	if (r < 0) {
		why_set(why, whylen, "cannot run %s: %s", a.n ? a.v[0] : "ssh", strerror(-r));
		argv_free(&a);
		return r;
	}
	r = pump(io, in, out, err, (long long)to * 1000);
	if (r < 0 && r != -EPIPE)
		kill(pid, SIGTERM);
	close(out);
	close(err);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	io->out[io->outlen] = '\0';
	last_line(io->err, io->errlen, said, sizeof(said));
	if (r == -ETIMEDOUT)
		why_set(why, whylen, "%s: no progress for %u s, ssh stopped", d->t->where, to);
	else if (r < 0 && r != -EPIPE)
		why_set(why, whylen, "reading the file to copy: %s", r == -ENODATA
			? "it is shorter than it was" : strerror(-r));
	else if (WIFEXITED(st) && WEXITSTATUS(st) == 0 && r == 0)
		r = 0;
	else {
		r = WIFEXITED(st) && WEXITSTATUS(st) == 255 ? -ECONNREFUSED : -EIO;
		why_set(why, whylen, "%s %s: %s (%s %d)", r == -ECONNREFUSED ? "ssh to" : "on",
			d->t->where, said[0] ? said : "it stopped before reading all it was sent",
			WIFEXITED(st) ? "exit" : "signal",
			WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	}
	argv_free(&a);
	return r;
}

/* The last line of what a step printed (a login shell's start-up files may print more
 * before it), without its newline. */
static const char *out_line(struct ssh_io *io)
{
	size_t n = io->outlen;

	while (n && io->out[n - 1] == '\n')
		n--;
	io->out[n] = '\0';
	while (n && io->out[n - 1] != '\n')
		n--;
	return io->out + n;
}

/* ---- the remote directory ------------------------------------------------------------------ */

/* S single-quoted for a POSIX shell. */
static void sq(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s; s++) {
		if (*s == '\'')
			fputs("'\\''", f);
		else
			fputc(*s, f);
	}
	fputc('\'', f);
}

static void target_path(FILE *f, const struct dump_target *t)
{
	if (t->home) {
		fputs("\"$HOME\"", f);
		if (t->path[0]) {
			fputc('/', f);
			sq(f, t->path);
		}
	} else {
		sq(f, t->path);
	}
}

static bool name_ok(const char *s)
{
	if (!s[0] || !strcmp(s, ".") || !strcmp(s, "..") || strlen(s) > 200)
		return false;
	for (; *s; s++)
		if (*s == '/' || (unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

int offhost_open(struct offhost_dir *d, const struct dump_target *t,
		 const struct offhost_opts *o, const char *name, char *why, size_t whylen)
{
	struct ssh_io io = { .fd = -1 };
	char *cmd = NULL;
	size_t clen = 0, n;
	FILE *f;
	int r;

	memset(d, 0, sizeof(*d));
	d->t = t;
	d->o = o;
	if (!name_ok(name)) {
		why_set(why, whylen, "%.64s: not a crash directory's name", name);
		return -EINVAL;
	}
	snprintf(d->name, sizeof(d->name), "%s", name);
	f = open_memstream(&cmd, &clen);
	if (!f)
		return -ENOMEM;
	fputs("umask 077 && mkdir -p -- ", f);
	target_path(f, t);
	fputc('/', f);
	sq(f, name);
	fputs(" && cd -- ", f);
	target_path(f, t);
	fputc('/', f);
	sq(f, name);
	fputs(" && pwd -P", f);
	if (fclose(f) != 0 || !cmd) {
		free(cmd);
		return -ENOMEM;
	}
	r = ssh_run(d, cmd, &io, why, whylen);
	free(cmd);
	if (r < 0)
		return r;
	const char *line = out_line(&io);
	bool ctl = false;
	for (n = 0; line[n]; n++)
		ctl |= (unsigned char)line[n] < 0x20;
	if (!n || line[0] != '/' || ctl || n >= sizeof(d->abs)) {
		why_set(why, whylen, "on %s: the remote shell gave no usable directory name for "
			"%s (a POSIX login shell is needed there)", t->where, name);
		return -EPROTO;
	}
	memcpy(d->abs, line, n + 1);
	return 0;
}

static void hex(const unsigned char *md, unsigned n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (unsigned i = 0; i < n; i++) {
		out[2 * i] = digits[md[i] >> 4];
		out[2 * i + 1] = digits[md[i] & 15];
	}
	out[2 * n] = '\0';
}

int offhost_put(struct offhost_dir *d, const char *name, int fd, const void *buf, uint64_t len,
		const char *label, char sha256_hex[65], char *why, size_t whylen)
{
	struct ssh_io io = { .fd = fd, .buf = buf, .len = len, .label = label };
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	char *cmd = NULL, part[260];
	size_t clen = 0;
	FILE *f;
	int r;

	if (!name_ok(name)) {
		why_set(why, whylen, "%.64s: not a file name", name);
		return -EINVAL;
	}
	io.md = EVP_MD_CTX_new();
	f = open_memstream(&cmd, &clen);
	if (!io.md || !f || !EVP_DigestInit_ex(io.md, EVP_sha256(), NULL)) {
		if (f)
			fclose(f);
		free(cmd);
		EVP_MD_CTX_free(io.md);
		return -ENOMEM;
	}
	if (fd < 0)
		EVP_DigestUpdate(io.md, buf, len);
	if (fd >= 0)
		posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	snprintf(part, sizeof(part), "%s.part", name);
	fputs("umask 077 && cd -- ", f);
	sq(f, d->abs);
	fputs(" && cat > ", f);
	sq(f, part);
	fputs(" && sync -- ", f);
	sq(f, part);
	fputs(" && sha256sum < ", f);
	sq(f, part);
	r = fclose(f) != 0 || !cmd ? -ENOMEM : ssh_run(d, cmd, &io, why, whylen);
	free(cmd);
	if (r == 0 && !EVP_DigestFinal_ex(io.md, md, &mdlen))
		r = -ENOMEM;
	EVP_MD_CTX_free(io.md);
	if (r < 0)
		return r;
	hex(md, mdlen, sha256_hex);
	const char *line = out_line(&io);
	if (strspn(line, "0123456789abcdef") != 64 || line[64] != ' ') {
		why_set(why, whylen, "on %s: sha256sum gave no hash for %s", d->t->where, part);
		return -EPROTO;
	}
	if (memcmp(line, sha256_hex, 64) != 0) {
		why_set(why, whylen, "on %s: %s/%s does not match what was sent (sha256 %.64s "
			"there, %s here)", d->t->where, d->abs, part, line, sha256_hex);
		return -EIO;
	}
	d->sent += len;
	return 0;
}

/* "cd -- ABS && VERB..." over NAMES: each name (with SUFFIX) as VERB's argument, or with
 * RENAME, mv -f NAME.part NAME for each, joined by &&; then TAIL. */
static char *names_cmd(const struct offhost_dir *d, const char *const *names, size_t n,
		       bool rename, const char *tail)
{
	char *cmd = NULL, part[260];
	size_t clen = 0;
	FILE *f = open_memstream(&cmd, &clen);

	if (!f)
		return NULL;
	fputs("umask 077 && cd -- ", f);
	sq(f, d->abs);
	fputs(rename ? "" : " && rm -f --", f);
	for (size_t i = 0; i < n; i++) {
		if (!name_ok(names[i]))
			continue;
		snprintf(part, sizeof(part), "%s.part", names[i]);
		fputs(rename ? " && mv -f -- " : " ", f);
		sq(f, part);
		if (rename) {
			fputc(' ', f);
			sq(f, names[i]);
		}
	}
	fputs(tail, f);
	if (fclose(f) != 0) {
		free(cmd);
		return NULL;
	}
	return cmd;
}

int offhost_commit(struct offhost_dir *d, const char *const *names, size_t n, char *why,
		   size_t whylen)
{
	struct ssh_io io = { .fd = -1 };
	char *cmd = names_cmd(d, names, n, true, " && sync -- . ..");
	int r;

	if (!cmd)
		return -ENOMEM;
	r = ssh_run(d, cmd, &io, why, whylen);
	free(cmd);
	return r;
}

void offhost_abort(struct offhost_dir *d, const char *const *names, size_t n)
{
	struct ssh_io io = { .fd = -1 };
	char *cmd = d->abs[0] ? names_cmd(d, names, n, false, "") : NULL;
	char why[256];

	if (cmd && ssh_run(d, cmd, &io, why, sizeof(why)) < 0)
		log_warn("could not remove the partial files in %s on %s: %s", d->abs,
			 d->t->where, why);
	free(cmd);
}
