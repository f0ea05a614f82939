/* SPDX-License-Identifier: MIT */
/*
 * Tests of the environment collector against tests/data/root (every section
 * parsed from real-format /proc, /sys, /etc and dpkg files), a root with most
 * files missing, an empty root, a copy with a FIFO and symlinks leaving the
 * root, never_collect, option validation, and a live run on this host
 * (statvfs, uname, getifaddrs, dpkg, sd-bus or its skip note).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cmocka.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-bus.h>
#endif

#include "collector.h"
#include "fd-util.h"
#include "finding.h"
#include "macro.h"
#include "sink-mock.h"

extern const struct collector collector_environment;

static char fixture[PATH_MAX];

static const char *srcdir(void)
{
        const char *d = getenv("COLLECT_SRCDIR");

        return d ? d : COLLECT_SRCDIR;
}

static const struct mock_artifact *need(const struct sink *s, const char *name)
{
        const struct mock_artifact *a = mock_sink_find(s, name);

        if (!a)
                fail_msg("artifact %s missing; notes:\n%s", name, mock_sink_notes(s));
        return a;
}

static void contains(const char *hay, const char *needle)
{
        if (!strstr(hay, needle))
                fail_msg("'%s' not found in:\n%s", needle, hay);
}

static void fact_is(const struct sink *s, const char *key, const char *value)
{
        const struct finding *f = mock_sink_find_finding(s, FINDING_HOST_FACT, key);

        if (!f)
                fail_msg("no host fact '%s'", key);
        assert_string_equal(f->detail, value);
}

static size_t count_substr(const char *hay, const char *needle)
{
        size_t n = 0;

        for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
                n++;
        return n;
}

static int run(const char *root, bool live, const char *const *overrides, struct sink **ret_sink,
               char *const *never)
{
        struct collect_ctx *ctx = mock_ctx_new("environment", root, 0, USEC_INFINITY);
        struct sink *s = mock_sink_new();
        int r;

        assert_non_null(ctx);
        assert_non_null(s);
        mock_ctx_set_live(ctx, live);
        if (never)
                mock_ctx_set_never_collect(ctx, never);
        r = mock_run_collector(&collector_environment, ctx, s, overrides);
        mock_ctx_free(ctx);
        if (getenv("TEST_ENVIRONMENT_DUMP")) {
                for (size_t i = 0; i < mock_sink_n_artifacts(s); i++)
                        fprintf(stderr, "=== %s\n%s", mock_sink_artifact(s, i)->name,
                                mock_sink_artifact(s, i)->data);
                for (size_t i = 0; i < mock_sink_n_findings(s); i++)
                        fprintf(stderr, "finding %s %s %llu %s\n",
                                finding_kind_to_string(mock_sink_finding(s, i)->kind),
                                mock_sink_finding(s, i)->subject,
                                (unsigned long long) mock_sink_finding(s, i)->count,
                                mock_sink_finding(s, i)->detail);
                fprintf(stderr, "=== notes\n%s\n", mock_sink_notes(s));
        }
        *ret_sink = s;
        return r;
}

static void test_fixture_root(void **state)
{
        struct sink *s = NULL;
        const struct mock_artifact *a;
        const struct finding *f;

        (void) state;
        assert_int_equal(run(fixture, false, NULL, &s, NULL), 0);

        a = need(s, "environment/os-release");
        contains(a->data, "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"");

        a = need(s, "environment/kernel.txt");
        contains(a->data, "sysname: Linux\n");
        contains(a->data, "release: 6.1.0-28-amd64\n");
        contains(a->data, "version: #1 SMP PREEMPT_DYNAMIC Debian 6.1.119-1 (2024-11-22)\n");
        contains(a->data, "machine: unknown\n");
        contains(a->data, "proc_version: Linux version 6.1.0-28-amd64 (debian-kernel");
        contains(a->data, "cmdline: BOOT_IMAGE=/boot/vmlinuz-6.1.0-28-amd64 root=UUID=");

        a = need(s, "environment/cpu.txt");
        contains(a->data, "processors: 2\n");
        contains(a->data, "model: Intel(R) Xeon(R) Platinum 8259CL CPU @ 2.50GHz\n");
        contains(a->data, "vendor: GenuineIntel\n");
        contains(a->data, "sockets: 1\n");
        contains(a->data, "cores_per_socket: 2\n");
        contains(a->data, "hypervisor_flag: yes\n");

        a = need(s, "environment/meminfo");
        contains(a->data, "MemTotal:        8025436 kB\n");

        a = need(s, "environment/uptime.txt");
        contains(a->data, "uptime: 3d 4h 2m (273771 s)\n");
        contains(a->data, "load_average: 0.52 0.61 0.59\n");
        contains(a->data, "processes_running_total: 2/187\n");
        assert_null(strstr(a->data, "booted:")); /* only meaningful on the live host */

        /* Offline: the mount table as text, never statvfs on host paths. */
        a = need(s, "environment/mounts");
        contains(a->data, "/dev/vdb1 /srv/data\\040files xfs");
        assert_null(mock_sink_find(s, "environment/disk-usage.txt"));
        assert_null(mock_sink_find_finding(s, FINDING_DISK_FULL, NULL));
        assert_null(mock_sink_find_finding(s, FINDING_INODES_FULL, NULL));
        contains(mock_sink_notes(s), "disk usage not measured: the root is not the live host");

        a = need(s, "environment/virtualization.txt");
        contains(a->data, "virtualization: qemu\n");
        contains(a->data, "container: none\n");
        contains(a->data, "/sys/class/dmi/id/sys_vendor: QEMU\n");
        contains(a->data, "/proc/cpuinfo: hypervisor flag\n");

        /* Installed packages only: oldlib1 is "deinstall ok config-files". */
        a = need(s, "environment/packages.txt");
        assert_string_equal(a->data, "bash 5.2.15-2+b7 amd64\n"
                                     "nginx 1.22.1-9 amd64\n"
                                     "tzdata 2024a-0+deb12u1 all\n");

        a = need(s, "environment/network.txt");
        contains(a->data, "eth0             up           1500 52:54:00:12:34:56       987654321");
        contains(a->data, "lo               unknown     65536 00:00:00:00:00:00");
        assert_int_equal(count_substr(a->data, "inet  10.0.0.15/32\n"), 1);
        contains(a->data, "inet  127.0.0.1/32\n");
        contains(a->data, "eth0             inet6 fe80::5000:54ff:fe12:3456/64\n");
        contains(a->data, "lo               inet6 ::1/128\n");
        contains(a->data, "default via 10.0.0.1 dev eth0\n");

        /* Failed units need the live host's bus. */
        assert_null(mock_sink_find(s, "environment/failed-units.txt"));
        contains(mock_sink_notes(s), "failed units skipped: the root is not the live host");
        assert_null(mock_sink_find_finding(s, FINDING_UNIT_FAILED, NULL));

        fact_is(s, "hostname", "testhost");
        fact_is(s, "os", "Debian GNU/Linux 12 (bookworm)");
        fact_is(s, "kernel", "Linux 6.1.0-28-amd64");
        fact_is(s, "virtualization", "qemu");
        fact_is(s, "container", "none");
        fact_is(s, "memory", "7.7G");
        fact_is(s, "cpu", "2 x Intel(R) Xeon(R) Platinum 8259CL CPU @ 2.50GHz");
        fact_is(s, "uptime", "3d 4h 2m");
        fact_is(s, "packages", "3 (dpkg)");
        f = mock_sink_find_finding(s, FINDING_HOST_FACT, "hostname");
        assert_string_equal(f->source, "environment");

        a = need(s, "environment/host.txt");
        contains(a->data, "hostname: testhost\nos: Debian GNU/Linux 12 (bookworm)\n");
        contains(a->data, "virtualization: qemu\n");

        assert_false(mock_sink_partial(s));
        mock_sink_free(s);
}

static int write_file(const char *root, const char *rel, const char *content)
{
        char path[PATH_MAX], dir[PATH_MAX];
        _cleanup_close_ int fd = -1;
        char *slash;

        snprintf(path, sizeof(path), "%s/%s", root, rel);
        snprintf(dir, sizeof(dir), "%s", path);
        slash = strrchr(dir, '/');
        *slash = 0;
        assert_int_equal(mkdir_p(dir, 0755), 0);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        assert_int_equal(loop_write(fd, content, strlen(content)), 0);
        return 0;
}

static int rm_cb(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
        (void) sb;
        (void) type;
        (void) ftw;
        return remove(path) < 0 ? -1 : 0;
}

static void rm_rf(const char *dir)
{
        (void) nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

static char copy_dest[PATH_MAX];

static int copy_cb(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
        char dst[PATH_MAX];

        (void) ftw;
        snprintf(dst, sizeof(dst), "%s%s", copy_dest, path + strlen(fixture));
        if (type == FTW_D)
                return mkdir(dst, sb->st_mode & 07777) < 0 && errno != EEXIST ? -1 : 0;
        if (type == FTW_F) {
                _cleanup_close_ int in = open(path, O_RDONLY | O_CLOEXEC);
                _cleanup_close_ int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                char buf[8192];
                ssize_t n;

                if (in < 0 || out < 0)
                        return -1;
                while ((n = loop_read(in, buf, sizeof(buf))) > 0)
                        if (loop_write(out, buf, (size_t) n) < 0)
                                return -1;
                return n < 0 ? -1 : 0;
        }
        return -1; /* the committed fixture holds only directories and regular files */
}

static void copy_fixture(const char *dest)
{
        snprintf(copy_dest, sizeof(copy_dest), "%s", dest);
        assert_int_equal(nftw(fixture, copy_cb, 16, FTW_PHYS), 0);
}

static void test_missing_files(void **state)
{
        char root[] = "/tmp/test-environment-XXXXXX";
        struct sink *s = NULL;
        const char *notes;

        (void) state;
        assert_non_null(mkdtemp(root));
        write_file(root, "etc/hostname", "# set by the installer\nsmallhost\n");
        write_file(root, "usr/lib/os-release", "NAME='Tiny Linux'\nVERSION_ID=3.1\n");

        assert_int_equal(run(root, false, NULL, &s, NULL), 0);
        fact_is(s, "hostname", "smallhost");
        fact_is(s, "os", "Tiny Linux 3.1"); /* no PRETTY_NAME: NAME and VERSION_ID */
        need(s, "environment/os-release");
        need(s, "environment/host.txt");
        assert_null(mock_sink_find(s, "environment/cpu.txt"));
        assert_null(mock_sink_find(s, "environment/meminfo"));
        assert_null(mock_sink_find(s, "environment/uptime.txt"));
        assert_null(mock_sink_find(s, "environment/kernel.txt"));
        assert_null(mock_sink_find(s, "environment/packages.txt"));
        assert_null(mock_sink_find(s, "environment/network.txt"));
        assert_null(mock_sink_find(s, "environment/virtualization.txt"));
        assert_null(mock_sink_find_finding(s, FINDING_HOST_FACT, "virtualization"));

        notes = mock_sink_notes(s);
        contains(notes, "missing /proc/cpuinfo");
        contains(notes, "missing /proc/meminfo");
        contains(notes, "missing /proc/mounts");
        contains(notes, "missing /proc/net/dev");
        contains(notes, "no package database found");
        contains(notes, "virtualization unknown");
        mock_sink_free(s);

        /* Nothing at all: -ENOENT, with the reasons as notes. */
        rm_rf(root);
        snprintf(root, sizeof(root), "/tmp/test-environment-XXXXXX");
        assert_non_null(mkdtemp(root));
        assert_int_equal(run(root, false, NULL, &s, NULL), -ENOENT);
        assert_int_equal(mock_sink_n_artifacts(s), 0);
        contains(mock_sink_notes(s), "hostname unknown");
        contains(mock_sink_notes(s), "nothing could be read");
        mock_sink_free(s);
        rm_rf(root);
}

static void test_fifo_and_escaping_links(void **state)
{
        char root[] = "/tmp/test-environment-XXXXXX";
        char path[PATH_MAX];
        struct sink *s = NULL;
        const struct mock_artifact *a;
        const char *notes;

        (void) state;
        assert_non_null(mkdtemp(root));
        copy_fixture(root);

        /* A FIFO nobody writes to: opening or reading it would hang. */
        snprintf(path, sizeof(path), "%s/proc/cpuinfo", root);
        assert_int_equal(unlink(path), 0);
        assert_int_equal(mkfifo(path, 0644), 0);
        snprintf(path, sizeof(path), "%s/sys/class/net/eth0/mtu", root);
        assert_int_equal(unlink(path), 0);
        assert_int_equal(mkfifo(path, 0644), 0);

        /* Links out of the root, to host files that exist (this host's meminfo, dpkg
         * database and os-release): none of them may be read. */
        snprintf(path, sizeof(path), "%s/proc/meminfo", root);
        assert_int_equal(unlink(path), 0);
        assert_int_equal(symlink("../../../../../../../../../../proc/meminfo", path), 0);
        snprintf(path, sizeof(path), "%s/var/lib/dpkg/status", root);
        assert_int_equal(unlink(path), 0);
        assert_int_equal(symlink("/var/lib/dpkg/status", path), 0);
        snprintf(path, sizeof(path), "%s/etc/os-release", root);
        assert_int_equal(unlink(path), 0);
        assert_int_equal(symlink("/usr/lib/os-release", path), 0);
        /* A link that stays inside the root is fine. */
        snprintf(path, sizeof(path), "%s/etc/hostname", root);
        assert_int_equal(unlink(path), 0);
        assert_int_equal(symlink("../proc/sys/kernel/hostname", path), 0);

        alarm(20); /* a hang fails the test instead of blocking the suite */
        assert_int_equal(run(root, false, NULL, &s, NULL), 0);
        alarm(0);

        notes = mock_sink_notes(s);
        contains(notes, "skipped /proc/cpuinfo: not a regular file");
        assert_null(mock_sink_find(s, "environment/cpu.txt"));
        assert_null(mock_sink_find(s, "environment/meminfo"));
        assert_null(mock_sink_find(s, "environment/packages.txt"));
        assert_null(mock_sink_find(s, "environment/os-release"));
        assert_null(mock_sink_find_finding(s, FINDING_HOST_FACT, "os"));
        assert_null(mock_sink_find_finding(s, FINDING_HOST_FACT, "memory"));

        a = need(s, "environment/network.txt");
        contains(a->data, "eth0             up              - 52:54"); /* the FIFO mtu */
        fact_is(s, "hostname", "testhost");
        need(s, "environment/kernel.txt");
        need(s, "environment/uptime.txt");
        mock_sink_free(s);
        rm_rf(root);
}

static void test_never_collect_and_options(void **state)
{
        char *never[] = { (char *) "/var/lib/dpkg/*", (char *) "/proc/cmdline", NULL };
        const char *const no_packages[] = { "include_packages=false", "include_network=no",
                                            NULL };
        const char *const bad[] = { "disk_full_percent=101", NULL };
        struct sink *s = NULL;
        const struct mock_artifact *a;

        (void) state;
        assert_int_equal(run(fixture, false, NULL, &s, never), 0);
        assert_null(mock_sink_find(s, "environment/packages.txt"));
        contains(mock_sink_notes(s), "skipped /var/lib/dpkg/status: forbidden by policy");
        a = need(s, "environment/kernel.txt");
        contains(a->data, "cmdline: unknown\n");
        contains(mock_sink_notes(s), "skipped /proc/cmdline: forbidden by policy");
        mock_sink_free(s);

        assert_int_equal(run(fixture, false, no_packages, &s, NULL), 0);
        assert_null(mock_sink_find(s, "environment/packages.txt"));
        assert_null(mock_sink_find(s, "environment/network.txt"));
        assert_null(mock_sink_find_finding(s, FINDING_HOST_FACT, "packages"));
        need(s, "environment/cpu.txt");
        mock_sink_free(s);

        assert_int_equal(run(fixture, false, bad, &s, NULL), -ERANGE);
        mock_sink_free(s);
}

/* The live host: uname, statvfs of the real mounts, getifaddrs, the real dpkg
 * database, and sd-bus (a failed-units list, or the reason it was skipped). */
static void test_live(void **state)
{
        const char *const all_full[] = { "disk_full_percent=0", "inodes_full_percent=0", NULL };
        struct sink *s = NULL;
        const struct mock_artifact *a;
        const struct finding *f;
        struct utsname u;
        char want[512];

        (void) state;
        assert_int_equal(run("/", true, all_full, &s, NULL), 0);

        assert_true(uname(&u) >= 0);
        a = need(s, "environment/kernel.txt");
        snprintf(want, sizeof(want), "release: %s\n", u.release);
        contains(a->data, want);
        snprintf(want, sizeof(want), "machine: %s\n", u.machine);
        contains(a->data, want);
        contains(need(s, "environment/uptime.txt")->data, "booted: ");

        /* Threshold 0: every measured filesystem is "full", "/" included. */
        a = need(s, "environment/disk-usage.txt");
        contains(a->data, "mounted on\n");
        contains(a->data, "% /\n");
        f = mock_sink_find_finding(s, FINDING_DISK_FULL, "/");
        assert_non_null(f);
        assert_true(f->count <= 100);
        contains(f->detail, "% used, ");
        /* Pseudo filesystems are never measured. */
        assert_null(mock_sink_find_finding(s, FINDING_DISK_FULL, "/proc"));
        assert_null(mock_sink_find_finding(s, FINDING_DISK_FULL, "/sys"));

        a = need(s, "environment/network.txt");
        contains(a->data, "lo               inet  127.0.0.1/8\n");

        if (access("/var/lib/dpkg/status", R_OK) == 0)
                contains(need(s, "environment/packages.txt")->data, "dpkg ");

        if (!mock_sink_find(s, "environment/failed-units.txt"))
                contains(mock_sink_notes(s), "failed units skipped: ");
        mock_sink_free(s);
}

#ifdef HAVE_LIBSYSTEMD
/*
 * The sd-bus path against a real bus: a private dbus-daemon, announced through
 * DBUS_SYSTEM_BUS_ADDRESS (which sd_bus_open_system honours), and a child that
 * owns org.freedesktop.systemd1 and answers ListUnitsFiltered and the units'
 * Result properties like PID 1 does.
 */
static const struct {
        const char *id, *desc, *active, *sub, *path, *iface, *result;
} fake_units[] = {
        { "app.service", "Example application", "failed", "failed",
          "/org/freedesktop/systemd1/unit/app_2eservice", "org.freedesktop.systemd1.Service",
          "exit-code" },
        { "db.socket", "Database socket", "failed", "failed",
          "/org/freedesktop/systemd1/unit/db_2esocket", "org.freedesktop.systemd1.Socket",
          "resources" },
        { "ok.service", "A healthy service", "active", "running",
          "/org/freedesktop/systemd1/unit/ok_2eservice", "org.freedesktop.systemd1.Service",
          "success" },
};

static int fake_list_units(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        char **states = NULL;
        sd_bus_message *reply = NULL;
        int r;

        (void) userdata;
        (void) error;
        r = sd_bus_message_read_strv(m, &states);
        if (r < 0)
                return r;
        r = sd_bus_message_new_method_return(m, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(ssssssouso)");
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(fake_units); i++) {
                bool wanted = false;

                for (char **st = states; st && *st; st++)
                        wanted = wanted || streq(*st, fake_units[i].active);
                if (wanted)
                        r = sd_bus_message_append(reply, "(ssssssouso)", fake_units[i].id,
                                                  fake_units[i].desc, "loaded",
                                                  fake_units[i].active, fake_units[i].sub, "",
                                                  fake_units[i].path, (uint32_t) 0, "", "/");
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r >= 0)
                r = sd_bus_send(NULL, reply, NULL);
        sd_bus_message_unref(reply);
        for (char **st = states; st && *st; st++)
                free(*st);
        free(states);
        return r;
}

static int fake_get_result(sd_bus *bus, const char *path, const char *interface,
                           const char *property, sd_bus_message *reply, void *userdata,
                           sd_bus_error *error)
{
        (void) bus;
        (void) path;
        (void) interface;
        (void) property;
        (void) error;
        return sd_bus_message_append(reply, "s", (const char *) userdata);
}

static const sd_bus_vtable fake_manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD("ListUnitsFiltered", "as", "a(ssssssouso)", fake_list_units, 0),
        SD_BUS_VTABLE_END,
};

static const sd_bus_vtable fake_unit_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Result", "s", fake_get_result, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_VTABLE_END,
};

/* The child: serves until killed; writes one byte to ready_fd once the name is owned. */
static _Noreturn void fake_systemd(int ready_fd)
{
        sd_bus *bus = NULL;

        if (sd_bus_open_system(&bus) < 0 ||
            sd_bus_add_object_vtable(bus, NULL, "/org/freedesktop/systemd1",
                                     "org.freedesktop.systemd1.Manager", fake_manager_vtable,
                                     NULL) < 0)
                _exit(1);
        for (size_t i = 0; i < ELEMENTSOF(fake_units); i++)
                if (sd_bus_add_object_vtable(bus, NULL, fake_units[i].path, fake_units[i].iface,
                                             fake_unit_vtable,
                                             (void *) fake_units[i].result) < 0)
                        _exit(1);
        if (sd_bus_request_name(bus, "org.freedesktop.systemd1", 0) < 0)
                _exit(1);
        if (write(ready_fd, "x", 1) != 1)
                _exit(1);
        for (;;) {
                int r = sd_bus_process(bus, NULL);

                if (r < 0)
                        _exit(1);
                if (r == 0 && sd_bus_wait(bus, UINT64_MAX) < 0)
                        _exit(1);
        }
}

struct fake_bus {
        char dir[64];
        pid_t daemon;
        pid_t server;
};

static bool fake_bus_start(struct fake_bus *b)
{
        char conf[128], sock[128], addr[160], xml[1024];
        int ready[2];
        char c;

        snprintf(b->dir, sizeof(b->dir), "/tmp/test-environment-bus-XXXXXX");
        assert_non_null(mkdtemp(b->dir));
        snprintf(conf, sizeof(conf), "%s/bus.conf", b->dir);
        snprintf(sock, sizeof(sock), "%s/bus", b->dir);
        snprintf(xml, sizeof(xml),
                 "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration "
                 "1.0//EN\" \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
                 "<busconfig><type>system</type><listen>unix:path=%s</listen>"
                 "<auth>EXTERNAL</auth><policy context=\"default\"><allow own=\"*\"/>"
                 "<allow send_destination=\"*\"/><allow receive_sender=\"*\"/></policy>"
                 "</busconfig>\n", sock);
        write_file(b->dir, "bus.conf", xml);

        b->daemon = fork();
        assert_true(b->daemon >= 0);
        if (b->daemon == 0) {
                char arg[160];

                (void) prctl(PR_SET_PDEATHSIG, SIGTERM);
                snprintf(arg, sizeof(arg), "--config-file=%s", conf);
                execl("/usr/bin/dbus-daemon", "dbus-daemon", arg, "--nofork", "--nopidfile",
                      (char *) NULL);
                _exit(127);
        }
        for (int i = 0; i < 500 && access(sock, F_OK) < 0; i++)
                usleep(10000);
        if (access(sock, F_OK) < 0)
                return false;
        snprintf(addr, sizeof(addr), "unix:path=%s", sock);
        assert_int_equal(setenv("DBUS_SYSTEM_BUS_ADDRESS", addr, 1), 0);

        assert_int_equal(pipe2(ready, O_CLOEXEC), 0);
        b->server = fork();
        assert_true(b->server >= 0);
        if (b->server == 0) {
                (void) prctl(PR_SET_PDEATHSIG, SIGTERM);
                close(ready[0]);
                fake_systemd(ready[1]);
        }
        close(ready[1]);
        alarm(20);
        assert_int_equal(read(ready[0], &c, 1), 1);
        alarm(0);
        close(ready[0]);
        return true;
}

static void fake_bus_stop(struct fake_bus *b)
{
        if (b->server > 0) {
                kill(b->server, SIGTERM);
                (void) waitpid(b->server, NULL, 0);
        }
        if (b->daemon > 0) {
                kill(b->daemon, SIGTERM);
                (void) waitpid(b->daemon, NULL, 0);
        }
        (void) unsetenv("DBUS_SYSTEM_BUS_ADDRESS");
        if (b->dir[0])
                rm_rf(b->dir);
        *b = (struct fake_bus) {};
}

static struct fake_bus the_bus;

/* Also runs when an assertion failed half-way, so no daemon is left behind. */
static int fake_bus_teardown(void **state)
{
        (void) state;
        fake_bus_stop(&the_bus);
        return 0;
}

static void test_failed_units_over_bus(void **state)
{
        const char *const opts[] = { "include_packages=false", "include_network=false",
                                     "disk_skip_types=*", NULL };
        const char *const one[] = { "include_packages=false", "include_network=false",
                                    "disk_skip_types=*", "max_failed_units=1", NULL };
        struct fake_bus *b = &the_bus;
        struct sink *s = NULL;
        const struct mock_artifact *a;
        const struct finding *f;

        (void) state;
        if (access("/usr/bin/dbus-daemon", X_OK) < 0)
                skip();
        assert_true(fake_bus_start(b));

        assert_int_equal(run("/", true, opts, &s, NULL), 0);
        a = need(s, "environment/failed-units.txt");
        contains(a->data, "app.service");
        contains(a->data, "exit-code");
        contains(a->data, "Example application");
        contains(a->data, "db.socket");
        contains(a->data, "resources");
        assert_null(strstr(a->data, "ok.service"));
        f = mock_sink_find_finding(s, FINDING_UNIT_FAILED, "app.service");
        assert_non_null(f);
        assert_string_equal(f->detail, "exit-code");
        f = mock_sink_find_finding(s, FINDING_UNIT_FAILED, "db.socket");
        assert_non_null(f);
        assert_string_equal(f->detail, "resources");
        assert_null(mock_sink_find_finding(s, FINDING_UNIT_FAILED, "ok.service"));
        assert_false(mock_sink_partial(s));
        mock_sink_free(s);

        /* The cap: one unit listed, the cut noted. */
        assert_int_equal(run("/", true, one, &s, NULL), 0);
        assert_non_null(mock_sink_find_finding(s, FINDING_UNIT_FAILED, "app.service"));
        assert_null(mock_sink_find_finding(s, FINDING_UNIT_FAILED, "db.socket"));
        contains(mock_sink_notes(s), "failed units cut at 1");
        assert_true(mock_sink_partial(s));
        mock_sink_free(s);

        fake_bus_stop(b);

        /* The bus is gone: skipped with the reason. */
        assert_int_equal(run("/", true, opts, &s, NULL), 0);
        assert_null(mock_sink_find(s, "environment/failed-units.txt"));
        contains(mock_sink_notes(s), "failed units skipped: ");
        mock_sink_free(s);
}
#endif

static int setup(void **state)
{
        (void) state;
        snprintf(fixture, sizeof(fixture), "%s/tests/data/root", srcdir());
        return 0;
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_fixture_root),
                cmocka_unit_test(test_missing_files),
                cmocka_unit_test(test_fifo_and_escaping_links),
                cmocka_unit_test(test_never_collect_and_options),
                cmocka_unit_test(test_live),
#ifdef HAVE_LIBSYSTEMD
                cmocka_unit_test_teardown(test_failed_units_over_bus, fake_bus_teardown),
#endif
        };

        return cmocka_run_group_tests(tests, setup, NULL);
}
