/* MPI wrapper (see cx_mpi.h). */
#define _POSIX_C_SOURCE 200809L
#include "cx_mpi.h"

#include <mpi.h>
#include <stdlib.h>
#include <string.h>

static int started, rank_, size_ = 1;

static int launched_by_mpirun(void)
{
    static const char *vars[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"};
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++)
        if (getenv(vars[i])) return 1;
    return 0;
}

void cx_mpi_init(int *argc, char ***argv)
{
    if (started || !launched_by_mpirun()) return;
    MPI_Init(argc, argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
    started = 1;
}

void cx_mpi_finalize(void)
{
    if (!started) return;
    MPI_Finalize();
    started = 0;
}

void cx_mpi_abort(int code)
{
    if (started && size_ > 1) MPI_Abort(MPI_COMM_WORLD, code);
    exit(code);
}

int cx_mpi_rank(void)
{
    return rank_;
}

int cx_mpi_size(void)
{
    return size_;
}

void cx_mpi_barrier(void)
{
    if (started) MPI_Barrier(MPI_COMM_WORLD);
}

void cx_mpi_bcast(void *buf, size_t n, int root)
{
    if (!started || size_ == 1) return;
    /* MPI counts are int: large buffers go in chunks */
    for (size_t off = 0; off < n; off += 1u << 30) {
        size_t len = n - off < (1u << 30) ? n - off : (1u << 30);
        MPI_Bcast((char *)buf + off, (int)len, MPI_BYTE, root, MPI_COMM_WORLD);
    }
}

cx_status cx_mpi_allgatherv(const void *buf, size_t n, void **out, size_t *total, size_t *counts)
{
    *out = NULL;
    *total = 0;
    if (!started || size_ == 1) {
        *out = malloc(n ? n : 1);
        if (!*out) return cx_fail(CX_ERR_NOMEM, "out of memory");
        if (n) memcpy(*out, buf, n);
        *total = n;
        if (counts) counts[0] = n;
        return CX_OK;
    }
    if (n > (size_t)INT32_MAX)
        return cx_fail(CX_ERR_VALUE, "MPI exchange of %zu bytes is too large", n);
    int mine = (int)n;
    int *cnt = malloc((size_t)size_ * sizeof *cnt), *disp = malloc((size_t)size_ * sizeof *disp);
    if (!cnt || !disp) {
        free(cnt), free(disp);
        return cx_fail(CX_ERR_NOMEM, "out of memory");
    }
    MPI_Allgather(&mine, 1, MPI_INT, cnt, 1, MPI_INT, MPI_COMM_WORLD);
    size_t sum = 0;
    for (int r = 0; r < size_; r++) {
        disp[r] = (int)sum;
        sum += (size_t)cnt[r];
        if (counts) counts[r] = (size_t)cnt[r];
    }
    cx_status st = CX_OK;
    if (sum > (size_t)INT32_MAX)
        st = cx_fail(CX_ERR_VALUE, "MPI exchange of %zu bytes is too large", sum);
    char *all = st == CX_OK ? malloc(sum ? sum : 1) : NULL;
    if (st == CX_OK && !all) st = cx_fail(CX_ERR_NOMEM, "out of memory");
    if (st == CX_OK) MPI_Allgatherv(buf, mine, MPI_BYTE, all, cnt, disp, MPI_BYTE, MPI_COMM_WORLD);
    free(cnt), free(disp);
    if (st != CX_OK) return st;
    *out = all;
    *total = sum;
    return CX_OK;
}

/* One value reduced over the ranks, in place (nothing to do on one rank). */
static void reduce_one(void *v, MPI_Datatype type, MPI_Op op)
{
    if (started && size_ > 1) MPI_Allreduce(MPI_IN_PLACE, v, 1, type, op, MPI_COMM_WORLD);
}

int cx_mpi_all(int v)
{
    reduce_one(&v, MPI_INT, MPI_LAND);
    return v;
}

uint64_t cx_mpi_min_u64(uint64_t v)
{
    reduce_one(&v, MPI_UINT64_T, MPI_MIN);
    return v;
}

int64_t cx_mpi_max_i64(int64_t v)
{
    reduce_one(&v, MPI_INT64_T, MPI_MAX);
    return v;
}

cx_status cx_mpi_send(const void *buf, size_t n, int dest, int tag)
{
    if (!started || size_ == 1 || dest == rank_ || dest < 0 || dest >= size_)
        return cx_fail(CX_ERR_USAGE, "MPI send to rank %d: no such other rank", dest);
    if (n > (size_t)INT32_MAX)
        return cx_fail(CX_ERR_VALUE, "MPI message of %zu bytes is too large", n);
    if (MPI_Send(buf, (int)n, MPI_BYTE, dest, tag, MPI_COMM_WORLD) != MPI_SUCCESS)
        return cx_fail(CX_ERR_IO, "MPI send of %zu bytes to rank %d failed", n, dest);
    return CX_OK;
}

int cx_mpi_iprobe(int src, int tag)
{
    if (!started || size_ == 1) return 0;
    int flag = 0;
    MPI_Iprobe(src < 0 ? MPI_ANY_SOURCE : src, tag < 0 ? MPI_ANY_TAG : tag, MPI_COMM_WORLD, &flag,
               MPI_STATUS_IGNORE);
    return flag;
}

cx_status cx_mpi_recv(int src, int tag, void **buf, size_t *n, int *from, int *tag_out)
{
    *buf = NULL;
    *n = 0;
    if (!started || size_ == 1) return cx_fail(CX_ERR_USAGE, "MPI receive with one rank");
    MPI_Status status;
    MPI_Probe(src < 0 ? MPI_ANY_SOURCE : src, tag < 0 ? MPI_ANY_TAG : tag, MPI_COMM_WORLD, &status);
    int count = 0;
    MPI_Get_count(&status, MPI_BYTE, &count);
    char *b = malloc((size_t)count + 1);
    if (!b) return cx_fail(CX_ERR_NOMEM, "out of memory");
    if (MPI_Recv(b, count, MPI_BYTE, status.MPI_SOURCE, status.MPI_TAG, MPI_COMM_WORLD,
                 MPI_STATUS_IGNORE) != MPI_SUCCESS) {
        free(b);
        return cx_fail(CX_ERR_IO, "MPI receive from rank %d failed", status.MPI_SOURCE);
    }
    b[count] = 0;
    *buf = b;
    *n = (size_t)count;
    if (from) *from = status.MPI_SOURCE;
    if (tag_out) *tag_out = status.MPI_TAG;
    return CX_OK;
}
