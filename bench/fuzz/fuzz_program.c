/* libFuzzer target: the program reader (cx_program_load). The first byte
 * picks the file the rest replaces: even, the YAML manifest (beside the
 * seed's tensors); odd, the tensors (beside the seed's manifest). Both seeds
 * are in corpus/program/; inputs there carry the prefix byte. */
#define _POSIX_C_SOURCE 200809L
#include "cx_fileio.h"
#include "cx_program.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[256];

static void put(const char *name, const void *data, size_t size)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *fp = fopen(path, "wb");
    if (!fp) abort();
    if (size && fwrite(data, 1, size, fp) != size) abort();
    fclose(fp);
}

static void copy_seed(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", CX_FUZZ_PROGRAM_SEEDS, name);
    uint8_t *buf;
    size_t n;
    if (cx_read_file(path, &buf, &n) != CX_OK) abort();
    put(name, buf, n);
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/cortile-fuzz-program-%d", (int)getpid());
        char cmd[300];
        snprintf(cmd, sizeof cmd, "mkdir -p '%s'", dir);
        if (system(cmd) != 0) abort();
    }
    if (size < 1) return 0;
    /* the seeds, then the fuzzed file over one of them */
    copy_seed("manifest.yaml");
    copy_seed("tensors.safetensors");
    put(data[0] & 1 ? "tensors.safetensors" : "manifest.yaml", data + 1, size - 1);
    char path[512];
    snprintf(path, sizeof path, "%s/manifest.yaml", dir);
    cx_program *p = NULL;
    if (cx_program_load(path, &p) == CX_OK) cx_program_free(p);
    return 0;
}
