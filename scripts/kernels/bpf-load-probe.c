// SPDX-License-Identifier: GPL-2.0
/*
 * bpf-load-probe: the loader of the qemu kernel test (scripts/kernels/run.mjs). Linked
 * statically (libbpf.a, libelf.a, libz.a) so that it runs in a busybox initramfs. For each
 * BPF object given, it opens, loads (CO-RE relocation against the booted kernel's BTF and
 * the verifier) and attaches every program the way the addon does, and prints one
 * machine-readable line:
 *   RESULT <object> load=ok attach=ok progs=<n>
 *   RESULT <object> load=fail errno=<n> why=<last libbpf line>
 *   RESULT <object> load=ok attach=fail prog=<name> errno=<n> why=<last libbpf line>
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>

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

int main(int argc, char **argv)
{
	libbpf_set_print(remember);
	for (int i = 1; i < argc; i++) {
		struct bpf_object *obj;
		struct bpf_program *prog;
		int err, progs = 0;

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
			printf("RESULT %s load=ok attach=ok progs=%d\n", base(argv[i]), progs);
		bpf_object__close(obj);
	}
	printf("RESULT-END\n");
	fflush(stdout);
	return 0;
}
