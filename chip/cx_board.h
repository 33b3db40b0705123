/* cx_board: a board of chips joined by inter-chip links (DESIGN.md s6).
 *
 * A board file names the chip description every position holds (one file,
 * optional overrides per chip, e.g. a process corner or its own noise), the
 * chips, and the links between them. A link joins a port of chip a to a
 * port of chip b; a port is one of the chip's router host ports (router.hosts
 * index >= 1: index 0 is the host I/O port, where the board's host feeds
 * that chip's inputs). A link carries spikes both ways with a flight latency
 * and a bandwidth (one packet at a time per direction).
 *
 * Boards are homogeneous in what the compiler depends on: every chip has
 * the same mesh, tile resources and router; noise and energy may differ. */
#ifndef CX_BOARD_H
#define CX_BOARD_H

#include "cx_chip.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int a, b;           /* chip indices */
    int port_a, port_b; /* router.hosts index of the link's end on chip a / b */
    double latency_ns, bandwidth_gbps;
} cx_board_link;

typedef struct {
    char *name, *description;
    char *file;      /* the board file as loaded (for messages) */
    char *chip_file; /* the chip description, resolved against the board file */
    int n_chips;
    char **chip_names;
    char ***chip_sets; /* per chip: its "key=value" overrides */
    int *n_chip_sets;
    cx_chip_config *chips; /* chip_file + the board's overrides + the chip's */
    int n_links;
    cx_board_link *links;
    int *tree_link; /* [root][chip]: link entering chip in root's delivery tree, -1 at root */
} cx_board;

/* Loads and validates a board file; `overrides` ("key=value", e.g. the CLI's
 * --set) apply to every chip before the chip's own. Errors name the file,
 * line and key. */
cx_status cx_board_load(const char *path, const char *const *overrides, size_t n, cx_board *out);
void cx_board_free(cx_board *b);

/* Writes the board as YAML naming `chip_file` as its chip description
 * (overrides already applied to that file are not repeated). */
cx_status cx_board_write(const cx_board *b, const char *path, const char *chip_file);

/* Spikes of chip `root` reach the other chips along a tree of shortest total
 * latency (ties: lower link index): the link by which `chip` is entered,
 * -1 when chip == root. A tree, so every chip receives a source's spike
 * once, through one port. */
int cx_board_tree_link(const cx_board *b, int root, int chip);
/* The chip at the far end of link l from chip c, and the port on each side. */
int cx_board_link_peer(const cx_board_link *l, int c);
int cx_board_link_port(const cx_board_link *l, int c);
/* Smallest link latency (ns): the board's conservative synchronization window. */
double cx_board_min_latency_ns(const cx_board *b);

#ifdef __cplusplus
}
#endif
#endif
