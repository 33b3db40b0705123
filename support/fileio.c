#define _POSIX_C_SOURCE 200809L
#include "cx_fileio.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

cx_status cx_read_file(const char *path, uint8_t **out, size_t *size)
{
    *out = NULL;
    *size = 0;
    FILE *fp = fopen(path, "rb");
    if (!fp) return cx_fail(CX_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(fp);
        return cx_fail(CX_ERR_IO, "%s: not a regular file", path);
    }
    size_t n = (size_t)st.st_size;
    uint8_t *buf = malloc(n + 1);
    if (!buf) {
        fclose(fp);
        return cx_fail(CX_ERR_NOMEM, "%s: cannot allocate %zu bytes", path, n);
    }
    size_t got = fread(buf, 1, n, fp);
    int err = ferror(fp);
    fclose(fp);
    if (got != n || err) {
        free(buf);
        return cx_fail(CX_ERR_IO, "%s: read %zu of %zu bytes", path, got, n);
    }
    buf[n] = 0;
    *out = buf;
    *size = n;
    return CX_OK;
}

/* zlib's messages start with the path again; drop it so the path shows once. */
static const char *gz_message(gzFile gz, const char *path, int *zerr)
{
    const char *msg = gzerror(gz, zerr);
    size_t n = strlen(path);
    if (strncmp(msg, path, n) == 0 && msg[n] == ':') msg += n + 1;
    while (*msg == ' ') msg++;
    return msg;
}

cx_status cx_read_gzip_file(const char *path, uint8_t **out, size_t *size)
{
    *out = NULL;
    *size = 0;
    gzFile gz = gzopen(path, "rb");
    if (!gz) return cx_fail(CX_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    size_t cap = 1 << 20, n = 0;
    uint8_t *buf = malloc(cap + 1);
    for (;;) {
        if (!buf) {
            gzclose(gz);
            return cx_fail(CX_ERR_NOMEM, "%s: out of memory after %zu bytes", path, n);
        }
        int got = gzread(gz, buf + n, (unsigned)(cap - n));
        if (got < 0) {
            int zerr;
            const char *msg = gz_message(gz, path, &zerr);
            cx_status st = cx_fail(CX_ERR_FORMAT, "%s: corrupt gzip data: %s", path, msg);
            free(buf);
            gzclose(gz);
            return st;
        }
        if (got == 0) break;
        n += (size_t)got;
        if (n == cap) {
            cap *= 2;
            uint8_t *grown = realloc(buf, cap + 1);
            if (!grown) free(buf);
            buf = grown;
        }
    }
    /* gzread returns 0 on a truncated stream too; gzerror tells them apart. */
    int zerr = Z_OK;
    const char *msg = gz_message(gz, path, &zerr);
    if (zerr != Z_OK && zerr != Z_STREAM_END) {
        cx_status st = cx_fail(CX_ERR_FORMAT, "%s: corrupt gzip data: %s", path, msg);
        free(buf);
        gzclose(gz);
        return st;
    }
    gzclose(gz);
    buf[n] = 0;
    *out = buf;
    *size = n;
    return CX_OK;
}

cx_status cx_write_file_atomic(const char *path, const void *const *parts, const size_t *sizes,
                               size_t nparts)
{
    size_t len = strlen(path) + 8;
    char *tmp = malloc(len);
    if (!tmp) return cx_fail(CX_ERR_NOMEM, "%s: out of memory", path);
    snprintf(tmp, len, "%s.tmp", path);
    FILE *fp = fopen(tmp, "wb");
    if (!fp) {
        cx_status st = cx_fail(CX_ERR_IO, "%s: cannot create: %s", tmp, strerror(errno));
        free(tmp);
        return st;
    }
    int ok = 1;
    for (size_t i = 0; i < nparts && ok; i++)
        ok = fwrite(parts[i], 1, sizes[i], fp) == sizes[i];
    ok = (fclose(fp) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
        cx_status st = cx_fail(CX_ERR_IO, "%s: cannot write: %s", path, strerror(errno));
        remove(tmp);
        free(tmp);
        return st;
    }
    free(tmp);
    return CX_OK;
}

int cx_path_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

char *cx_path_join(const char *dir, const char *name)
{
    size_t len = strlen(dir) + strlen(name) + 2;
    char *p = malloc(len);
    if (p) snprintf(p, len, "%s/%s", dir, name);
    return p;
}
