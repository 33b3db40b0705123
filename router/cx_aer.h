/* cx_aer: the address-event (AER) packet header shared by tiles and routers.
 *
 * A spike leaves a tile as one fixed-width word, most significant field first:
 *
 *     | tile (tile_bits) | neuron (neuron_bits) | step (step_bits) | payload (payload_bits) |
 *
 * - tile, neuron: the source id. (tile, neuron) is also the routing key that
 *   the per-router multicast tables are indexed by, so a packet carries no
 *   destination: the routers know where the spikes of a source go.
 * - step: the model step that emitted the spike, modulo 2^step_bits. Only
 *   tiles in sampled mode stamp it (step_bits = 0 in continuous mode); the
 *   receiver uses it to detect late spikes.
 * - payload: optional data (e.g. a graded spike value); 0 bits by default.
 *
 * The word is at most 64 bits. Its width, cx_aer_format_bits(), is the
 * packet size that sets the serialization cycles of the network links. */
#ifndef CX_AER_H
#define CX_AER_H

#include "cx_status.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int tile_bits;    /* bits for the source tile index */
    int neuron_bits;  /* bits for the neuron/channel index within the tile */
    int step_bits;    /* step stamp bits (sampled mode); 0 when unused */
    int payload_bits; /* payload bits; 0 when unused */
} cx_aer_format;

typedef struct {
    uint32_t tile;
    uint32_t neuron;
    uint32_t step; /* stored modulo 2^step_bits */
    uint64_t payload;
} cx_aer_packet;

/* 10 tile bits (1024 tiles), 14 neuron bits, 8 step bits, no payload: 32 bits. */
cx_aer_format cx_aer_format_default(void);

/* Total header + payload width in bits. */
int cx_aer_format_bits(const cx_aer_format *fmt);

/* Checks that each field is 0..32 bits (tile and neuron at least 1) and the
 * total at most 64. */
cx_status cx_aer_format_check(const cx_aer_format *fmt);

/* Packs a packet into a word. A tile, neuron or payload that does not fit
 * its field is an error (CX_ERR_VALUE); the step wraps modulo 2^step_bits. */
cx_status cx_aer_pack(const cx_aer_format *fmt, const cx_aer_packet *pkt, uint64_t *word);

/* Unpacks a word; bits above the format width are ignored. */
void cx_aer_unpack(const cx_aer_format *fmt, uint64_t word, cx_aer_packet *pkt);

/* The routing key of a source: (tile << neuron_bits) | neuron. */
uint32_t cx_aer_source_id(const cx_aer_format *fmt, uint32_t tile, uint32_t neuron);

/* Steps by which a stamp lags the receiver's current step, modulo 2^step_bits
 * (0 when on time). Meaningful while the true lag is below 2^step_bits. */
uint32_t cx_aer_step_lag(const cx_aer_format *fmt, uint32_t stamp, uint64_t current_step);

#ifdef __cplusplus
}
#endif
#endif
