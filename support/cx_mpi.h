/* cx_mpi: the few MPI operations cortile needs, behind a prefix.
 *
 * MPI starts only when a launcher started the process (mpirun sets
 * OMPI_COMM_WORLD_SIZE / PMI_SIZE / PMIX_RANK); otherwise every call works
 * on a world of one rank without touching MPI, so ordinary runs, tests
 * under sanitizers and valgrind never load the MPI runtime. */
#ifndef CX_MPI_H
#define CX_MPI_H

#include "cx_status.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Starts MPI when launched by mpirun; safe to call once per process. */
void cx_mpi_init(int *argc, char ***argv);
void cx_mpi_finalize(void);
/* Ends every rank (after an error on one of them). */
void cx_mpi_abort(int code);
int cx_mpi_rank(void);
int cx_mpi_size(void);

void cx_mpi_barrier(void);
/* Broadcast of n bytes from root. */
void cx_mpi_bcast(void *buf, size_t n, int root);
/* Every rank contributes n bytes; *out (malloc'd, freed by the caller)
 * receives all contributions in rank order, counts[r] bytes from rank r
 * (counts has cx_mpi_size() entries, may be NULL). */
cx_status cx_mpi_allgatherv(const void *buf, size_t n, void **out, size_t *total, size_t *counts);
/* Point-to-point byte messages (rank-to-rank results). A send of n bytes
 * with a tag >= 0 to rank dest; sends to oneself are not supported. */
cx_status cx_mpi_send(const void *buf, size_t n, int dest, int tag);
/* 1 when a message from src (any rank when < 0) with tag (any when < 0)
 * is waiting; never blocks. 0 without MPI. */
int cx_mpi_iprobe(int src, int tag);
/* Receives the next such message (blocking): *buf (malloc'd, freed by the
 * caller) with *n bytes; *from and *tag_out (may be NULL) say whose and
 * which. Without MPI there is nobody to hear from: an error. */
cx_status cx_mpi_recv(int src, int tag, void **buf, size_t *n, int *from, int *tag_out);
/* Logical and / max of an int over ranks. */
int cx_mpi_all(int v);
int64_t cx_mpi_max_i64(int64_t v);
uint64_t cx_mpi_min_u64(uint64_t v);

#ifdef __cplusplus
}
#endif
#endif
