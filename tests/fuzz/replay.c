/* SPDX-License-Identifier: MIT */
/*
 * Replays a fuzz corpus without libFuzzer: every file of the directory given
 * as argv[1] (sorted by name) is read and passed to LLVMFuzzerTestOneInput,
 * so that `make test` exercises each fuzz target with its seeds.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int filter(const struct dirent *de)
{
        return de->d_name[0] != '.';
}

int main(int argc, char **argv)
{
        struct dirent **names = NULL;
        unsigned replayed = 0;
        int n;

        if (argc != 2) {
                fprintf(stderr, "usage: %s CORPUS-DIR\n", argv[0]);
                return 64;
        }
        n = scandir(argv[1], &names, filter, alphasort);
        if (n < 0) {
                fprintf(stderr, "cannot read '%s': %s\n", argv[1], strerror(errno));
                return 66;
        }
        for (int i = 0; i < n; i++) {
                char path[4096];
                struct stat st;
                uint8_t *buf;
                int fd;

                snprintf(path, sizeof(path), "%s/%s", argv[1], names[i]->d_name);
                free(names[i]);
                fd = open(path, O_RDONLY | O_CLOEXEC);
                if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                        if (fd >= 0)
                                close(fd);
                        continue;
                }
                buf = malloc((size_t) st.st_size + 1);
                if (!buf) {
                        close(fd);
                        return 1;
                }
                size_t got = 0;
                while (got < (size_t) st.st_size) {
                        ssize_t k = read(fd, buf + got, (size_t) st.st_size - got);

                        if (k < 0 && errno == EINTR)
                                continue;
                        if (k <= 0)
                                break;
                        got += (size_t) k;
                }
                close(fd);
                (void) LLVMFuzzerTestOneInput(buf, got);
                free(buf);
                replayed++;
        }
        free(names);
        printf("%u inputs replayed\n", replayed);
        return 0;
}
