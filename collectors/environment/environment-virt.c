/* SPDX-License-Identifier: MIT */
/*
 * Virtualization and container detection, a small reimplementation of
 * systemd-detect-virt's file-based checks: containers from
 * /run/systemd/container, /run/.containerenv, /.dockerenv, /proc/1/cgroup,
 * /proc/1/environ and the kernel release (WSL); virtual machines from the DMI
 * strings, /sys/hypervisor/type and the CPU "hypervisor" flag. Everything is
 * read beneath the root, so an offline root is judged by its own files.
 * Writes environment/virtualization.txt with the evidence.
 */
#include <errno.h>
#include <string.h>

#include "alloc-util.h"
#include "environment.h"
#include "macro.h"
#include "sink.h"

#define VIRT_FILE_MAX (64u * 1024u)

struct virt_result {
        const char *vm;        /* systemd-detect-virt style id, or NULL */
        const char *container; /* id, or NULL */
        char *container_own;   /* when the id came from a file */
        unsigned sources;      /* files that could be read: no judgement without any */
        struct dynbuf evidence;
};

static bool startswith(const char *s, const char *prefix)
{
        return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* DMI strings, checked by prefix as systemd does (src/basic/virt.c detect_vm_dmi_vendor). */
static const struct {
        const char *prefix;
        const char *id;
} dmi_vendor_table[] = {
        { "KVM", "kvm" },
        { "OpenStack", "kvm" },
        { "KubeVirt", "kvm" },
        { "Amazon EC2", "amazon" },
        { "QEMU", "qemu" },
        { "VMware", "vmware" },
        { "VMW", "vmware" },
        { "innotek GmbH", "oracle" },
        { "VirtualBox", "oracle" },
        { "Xen", "xen" },
        { "Bochs", "bochs" },
        { "Parallels", "parallels" },
        { "BHYVE", "bhyve" },
        { "Hyper-V", "microsoft" },
        { "Apple Virtualization", "apple" },
        { "Google Compute Engine", "google" },
};

static const char *const dmi_files[] = {
        "sys/class/dmi/id/product_name",    "sys/class/dmi/id/sys_vendor",
        "sys/class/dmi/id/board_vendor",    "sys/class/dmi/id/bios_vendor",
        "sys/class/dmi/id/product_version",
};

static char *read_stripped(struct collect_ctx *ctx, struct sink *s, struct virt_result *v,
                           const char *path)
{
        char *text = NULL;

        if (environment_read(ctx, s, path, VIRT_FILE_MAX, true, &text, NULL) < 0)
                return NULL;
        v->sources++;
        environment_strip(text);
        return text;
}

static void detect_vm_dmi(struct collect_ctx *ctx, struct sink *s, struct virt_result *v)
{
        _cleanup_free_ char *vendor = NULL, *product = NULL;

        for (size_t i = 0; i < ELEMENTSOF(dmi_files); i++) {
                _cleanup_free_ char *t = read_stripped(ctx, s, v, dmi_files[i]);

                if (isempty(t))
                        continue;
                (void) dynbuf_addf(&v->evidence, "/%s: %s\n", dmi_files[i], t);
                for (size_t j = 0; !v->vm && j < ELEMENTSOF(dmi_vendor_table); j++)
                        if (startswith(t, dmi_vendor_table[j].prefix))
                                v->vm = dmi_vendor_table[j].id;
                if (i == 0)
                        product = TAKE_PTR(t);
                else if (i == 1)
                        vendor = TAKE_PTR(t);
        }
        /* Hyper-V: "Microsoft Corporation" is also a hardware vendor; the product tells. */
        if (!v->vm && vendor && product && streq(vendor, "Microsoft Corporation") &&
            streq(product, "Virtual Machine"))
                v->vm = "microsoft";
}

static void detect_vm(struct environment_state *st, struct collect_ctx *ctx, struct sink *s,
                      struct virt_result *v)
{
        _cleanup_free_ char *hyp = NULL;

        detect_vm_dmi(ctx, s, v);

        hyp = read_stripped(ctx, s, v, "sys/hypervisor/type");
        if (!isempty(hyp)) {
                (void) dynbuf_addf(&v->evidence, "/sys/hypervisor/type: %s\n", hyp);
                if (!v->vm && streq(hyp, "xen")) {
                        _cleanup_free_ char *caps = read_stripped(ctx, s, v,
                                                                  "proc/xen/capabilities");

                        /* dom0 is the host, not a guest */
                        if (!caps || !strstr(caps, "control_d"))
                                v->vm = "xen";
                }
        }
        if (st->cpu_seen)
                v->sources++;
        if (st->cpu_hypervisor) {
                (void) dynbuf_addstr(&v->evidence, "/proc/cpuinfo: hypervisor flag\n");
                if (!v->vm)
                        v->vm = "vm-other";
        }
}

static const struct {
        const char *needle;
        const char *id;
} cgroup_table[] = {
        { "/docker/", "docker" },
        { "/docker-", "docker" },
        { "/libpod-", "podman" },
        { "/lxc/", "lxc" },
        { "/lxc.payload", "lxc" },
        { "kubepods", "kubernetes" },
        { "/machine.slice/", "systemd-nspawn" },
};

static int detect_container(struct collect_ctx *ctx, struct sink *s, struct virt_result *v)
{
        _cleanup_free_ char *run = NULL, *cgroup = NULL, *environ_ = NULL, *rel = NULL;
        size_t size = 0;

        /* systemd's PID 1 (or the container manager) writes the answer here. */
        run = read_stripped(ctx, s, v, "run/systemd/container");
        if (!isempty(run)) {
                (void) dynbuf_addf(&v->evidence, "/run/systemd/container: %s\n", run);
                v->container_own = TAKE_PTR(run);
                v->container = v->container_own;
        }
        if (environment_exists(ctx, "run/.containerenv")) {
                (void) dynbuf_addstr(&v->evidence, "/run/.containerenv exists\n");
                if (!v->container)
                        v->container = "podman";
        }
        if (environment_exists(ctx, ".dockerenv")) {
                (void) dynbuf_addstr(&v->evidence, "/.dockerenv exists\n");
                if (!v->container)
                        v->container = "docker";
        }
        if (environment_read(ctx, s, "proc/1/environ", VIRT_FILE_MAX, true, &environ_, &size) >=
            0) {
                v->sources++;
                for (size_t i = 0; i < size; i += strlen(environ_ + i) + 1) {
                        const char *e = environ_ + i;

                        if (!startswith(e, "container=") || isempty(e + 10))
                                continue;
                        (void) dynbuf_addf(&v->evidence, "/proc/1/environ: %s\n", e);
                        if (!v->container) {
                                v->container_own = xstrdup(e + 10);
                                if (!v->container_own)
                                        return -ENOMEM;
                                v->container = v->container_own;
                        }
                        break;
                }
        }
        cgroup = read_stripped(ctx, s, v, "proc/1/cgroup");
        if (cgroup) {
                for (size_t i = 0; i < ELEMENTSOF(cgroup_table); i++) {
                        if (!strstr(cgroup, cgroup_table[i].needle))
                                continue;
                        (void) dynbuf_addf(&v->evidence, "/proc/1/cgroup: contains '%s'\n",
                                           cgroup_table[i].needle);
                        if (!v->container)
                                v->container = cgroup_table[i].id;
                        break;
                }
        }
        rel = read_stripped(ctx, s, v, "proc/sys/kernel/osrelease");
        if (rel && (strstr(rel, "Microsoft") || strstr(rel, "WSL"))) {
                (void) dynbuf_addf(&v->evidence, "/proc/sys/kernel/osrelease: %s\n", rel);
                if (!v->container)
                        v->container = "wsl";
        }
        if (environment_exists(ctx, "proc/vz") && !environment_exists(ctx, "proc/bc")) {
                (void) dynbuf_addstr(&v->evidence, "/proc/vz exists without /proc/bc\n");
                if (!v->container)
                        v->container = "openvz";
        }
        return 0;
}

int environment_virt(struct environment_state *st, struct collect_ctx *ctx, struct sink *s)
{
        struct virt_result v = {};
        _cleanup_dynbuf_ struct dynbuf out = {};
        int r;

        dynbuf_init(&v.evidence, VIRT_FILE_MAX);
        r = detect_container(ctx, s, &v);
        if (r >= 0)
                detect_vm(st, ctx, s, &v);
        if (r >= 0 && v.sources == 0 && !v.container && !v.vm) {
                sink_note(s, "virtualization unknown: no DMI, /proc or /run files to judge from");
                r = -ENOENT;
        } else if (r >= 0) {
                dynbuf_init(&out, VIRT_FILE_MAX);
                (void) dynbuf_addf(&out, "virtualization: %s\ncontainer: %s\n",
                                   v.vm ? v.vm : "none", v.container ? v.container : "none");
                (void) dynbuf_addf(&out, "evidence:\n%s",
                                   v.evidence.len ? v.evidence.buf : "  (none)\n");
                r = environment_add(st, s, "environment/virtualization.txt", &out);
                environment_fact(st, s, "virtualization", v.vm ? v.vm : "none");
                environment_fact(st, s, "container", v.container ? v.container : "none");
        }
        free(v.container_own);
        dynbuf_done(&v.evidence);
        return r;
}
