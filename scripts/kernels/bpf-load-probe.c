// SPDX-License-Identifier: GPL-2.0
/*
 * bpf-load-probe: the loader of the qemu kernel test (scripts/kernels/run.mjs). Linked
 * statically (libbpf.a, libelf.a, libz.a) so that it runs in a busybox initramfs. For each
 * BPF object given, it opens, loads (CO-RE relocation against the booted kernel's BTF and
 * the verifier) and attaches every program the way the addon does, and prints one
 * machine-readable line:
 *   RESULT <object> load=ok attach=ok progs=<n> loaded=<name,name,...>
 *   RESULT <object> load=fail errno=<n> why=<last libbpf line>
 *   RESULT <object> load=ok attach=fail prog=<name> errno=<n> why=<last libbpf line>
 * With `--oom <cgroup dir> <object>` it attaches one of the OOM objects, lets a child named
 * "oomvictim" allocate until the OOM killer of that (memory-limited) cgroup kills it, and
 * prints what the object's ring buffer said about the victim:
 *   OOM <object> child=<pid> cgroup=<inode> events=<n> pid=<pid> comm=<comm> cgroup_v2=<id> total_vm=<pages>
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <linux/types.h>
#include <bpf/libbpf.h>
#include "../../src/native/bpf/kevents.h"

static char older[512], newer[512], last_line[1040];

/*
 * Keeps the last two telling lines libbpf printed: its summary and, before it, the reason
 * (a missing kernel BTF type, the verifier's complaint). The closing "failed to load
 * object" says nothing new.
 */
static int remember(enum libbpf_print_level level, const char *fmt, va_list args)
{
	char buf[4096];
	char *line, *save = NULL;

	if (level == LIBBPF_DEBUG)
		return 0;
	vsnprintf(buf, sizeof(buf), fmt, args);
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strspn(line, " \t") == strlen(line) || strstr(line, "failed to load object"))
			continue;
		memcpy(older, newer, sizeof(older));
		snprintf(newer, sizeof(newer), "%s", line);
	}
	snprintf(last_line, sizeof(last_line), "%s%s%s", older, older[0] ? " | " : "", newer);
	return 0;
}

static void forget(void)
{
	older[0] = newer[0] = last_line[0] = '\0';
}

static void one_line(char *s)
{
	for (; *s; s++)
		if (*s == '\n' || *s == '\r' || *s == '\t')
			*s = ' ';
}

static const char *base(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

static struct kev_event seen;
static int events;

static int on_event(void *ctx, void *data, size_t size)
{
	(void)ctx;
	if (size >= sizeof(seen) && ((struct kev_event *)data)->kind == KEV_OOM_VICTIM) {
		memcpy(&seen, data, sizeof(seen));
		events++;
	}
	return 0;
}

/* The child: joins the cgroup, renames itself, and touches memory until it is killed. */
static void allocate_in(const char *cgroup)
{
	char path[512], pid[32];
	FILE *f;

	snprintf(path, sizeof(path), "%s/cgroup.procs", cgroup);
	f = fopen(path, "w");
	if (!f)
		_exit(2);
	snprintf(pid, sizeof(pid), "%d", getpid());
	fputs(pid, f);
	fclose(f);
	prctl(PR_SET_NAME, "oomvictim");
	for (;;) {
		char *p = malloc(1 << 20);
		if (p)
			memset(p, 1, 1 << 20);
	}
}

static int oom_run(const char *cgroup, const char *path)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	struct bpf_program *prog;
	struct ring_buffer *rb;
	struct stat st;
	pid_t child;
	int status;

	if (!obj || bpf_object__load(obj)) {
		printf("OOM %s error=load why=%s\n", base(path), last_line);
		return 1;
	}
	bpf_object__for_each_program(prog, obj) {
		if (!bpf_program__attach(prog)) {
			printf("OOM %s error=attach prog=%s why=%s\n", base(path), bpf_program__name(prog), last_line);
			return 1;
		}
	}
	rb = ring_buffer__new(bpf_map__fd(bpf_object__find_map_by_name(obj, "events")), on_event, NULL, NULL);
	if (!rb || stat(cgroup, &st)) {
		printf("OOM %s error=setup\n", base(path));
		return 1;
	}
	child = fork();
	if (child == 0)
		allocate_in(cgroup);
	waitpid(child, &status, 0);
	for (int i = 0; i < 20 && events == 0; i++)
		ring_buffer__poll(rb, 100);
	printf("OOM %s child=%d killed=%s cgroup=%llu events=%d pid=%u comm=%.16s cgroup_v2=%llu total_vm=%llu\n", base(path), child,
	       WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL ? "SIGKILL" : "no", (unsigned long long)st.st_ino, events, seen.pid,
	       seen.comm[0] ? seen.comm : "-", (unsigned long long)seen.cgroup_v2, (unsigned long long)seen.extra);
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	libbpf_set_print(remember);
	if (argc == 4 && strcmp(argv[1], "--oom") == 0)
		return oom_run(argv[2], argv[3]);
	for (int i = 1; i < argc; i++) {
		struct bpf_object *obj;
		struct bpf_program *prog;
		int err, progs = 0;
		/* The programs loaded by their SEC default (opt-in "?" ones are not): which variant ran. */
		char loaded[1024] = "";

		forget();
		obj = bpf_object__open_file(argv[i], NULL);
		if (!obj) {
			err = errno;
			one_line(last_line);
			printf("RESULT %s load=fail errno=%d why=open: %s\n", base(argv[i]), err, last_line);
			continue;
		}
		err = bpf_object__load(obj);
		if (err) {
			one_line(last_line);
			printf("RESULT %s load=fail errno=%d why=%s\n", base(argv[i]), -err, last_line);
			bpf_object__close(obj);
			continue;
		}
		bpf_object__for_each_program(prog, obj) {
			struct bpf_link *link;
			enum bpf_prog_type type = bpf_program__type(prog);

			progs++;
			/* perf_event and uprobe programs need a target (a perf fd, a binary): load only. */
			if (bpf_program__autoload(prog))
				snprintf(loaded + strlen(loaded), sizeof(loaded) - strlen(loaded), "%s%s", loaded[0] ? "," : "", bpf_program__name(prog));
			if (type == BPF_PROG_TYPE_PERF_EVENT || !bpf_program__autoload(prog))
				continue;
			if (type == BPF_PROG_TYPE_KPROBE && strncmp(bpf_program__section_name(prog), "uprobe", 6) == 0)
				continue;
			forget();
			link = bpf_program__attach(prog);
			if (!link) {
				err = errno;
				one_line(last_line);
				printf("RESULT %s load=ok attach=fail prog=%s errno=%d why=%s\n", base(argv[i]), bpf_program__name(prog), err, last_line);
				progs = -1;
				break;
			}
			bpf_link__destroy(link);
		}
		if (progs >= 0)
			printf("RESULT %s load=ok attach=ok progs=%d loaded=%s\n", base(argv[i]), progs, loaded);
		bpf_object__close(obj);
	}
	printf("RESULT-END\n");
	fflush(stdout);
	return 0;
}
