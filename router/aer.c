#include "cx_aer.h"

static uint64_t field_mask(int bits)
{
    return bits >= 64 ? ~0ULL : ((1ULL << bits) - 1);
}

cx_aer_format cx_aer_format_default(void)
{
    cx_aer_format f = {.tile_bits = 10, .neuron_bits = 14, .step_bits = 8, .payload_bits = 0};
    return f;
}

int cx_aer_format_bits(const cx_aer_format *fmt)
{
    return fmt->tile_bits + fmt->neuron_bits + fmt->step_bits + fmt->payload_bits;
}

cx_status cx_aer_format_check(const cx_aer_format *fmt)
{
    const struct {
        const char *name;
        int bits, min;
    } f[4] = {{"tile_bits", fmt->tile_bits, 1},
              {"neuron_bits", fmt->neuron_bits, 1},
              {"step_bits", fmt->step_bits, 0},
              {"payload_bits", fmt->payload_bits, 0}};
    for (int i = 0; i < 4; i++)
        if (f[i].bits < f[i].min || f[i].bits > 32)
            return cx_fail(CX_ERR_VALUE, "AER format: %s must be %d..32, got %d", f[i].name,
                           f[i].min, f[i].bits);
    if (f[0].bits + f[1].bits > 32)
        return cx_fail(
            CX_ERR_VALUE,
            "AER format: tile_bits + neuron_bits must be <= 32 (the routing key), got %d",
            f[0].bits + f[1].bits);
    if (cx_aer_format_bits(fmt) > 64)
        return cx_fail(CX_ERR_VALUE, "AER format: total width must be <= 64 bits, got %d",
                       cx_aer_format_bits(fmt));
    return CX_OK;
}

cx_status cx_aer_pack(const cx_aer_format *fmt, const cx_aer_packet *pkt, uint64_t *word)
{
    if ((uint64_t)pkt->tile > field_mask(fmt->tile_bits))
        return cx_fail(CX_ERR_VALUE, "AER pack: tile %u does not fit %d bits", pkt->tile,
                       fmt->tile_bits);
    if ((uint64_t)pkt->neuron > field_mask(fmt->neuron_bits))
        return cx_fail(CX_ERR_VALUE, "AER pack: neuron %u does not fit %d bits", pkt->neuron,
                       fmt->neuron_bits);
    if (pkt->payload > field_mask(fmt->payload_bits))
        return cx_fail(CX_ERR_VALUE, "AER pack: payload %llu does not fit %d bits",
                       (unsigned long long)pkt->payload, fmt->payload_bits);
    uint64_t w = pkt->tile;
    w = (w << fmt->neuron_bits) | pkt->neuron;
    w = fmt->step_bits ? (w << fmt->step_bits) | (pkt->step & field_mask(fmt->step_bits)) : w;
    w = fmt->payload_bits ? (w << fmt->payload_bits) | pkt->payload : w;
    *word = w;
    return CX_OK;
}

void cx_aer_unpack(const cx_aer_format *fmt, uint64_t w, cx_aer_packet *pkt)
{
    pkt->payload = fmt->payload_bits ? w & field_mask(fmt->payload_bits) : 0;
    w = fmt->payload_bits ? w >> fmt->payload_bits : w;
    pkt->step = fmt->step_bits ? (uint32_t)(w & field_mask(fmt->step_bits)) : 0;
    w = fmt->step_bits ? w >> fmt->step_bits : w;
    pkt->neuron = (uint32_t)(w & field_mask(fmt->neuron_bits));
    w >>= fmt->neuron_bits;
    pkt->tile = (uint32_t)(w & field_mask(fmt->tile_bits));
}

uint32_t cx_aer_source_id(const cx_aer_format *fmt, uint32_t tile, uint32_t neuron)
{
    return (uint32_t)(((uint64_t)tile << fmt->neuron_bits) | neuron);
}

uint32_t cx_aer_step_lag(const cx_aer_format *fmt, uint32_t stamp, uint64_t current_step)
{
    if (fmt->step_bits == 0) return 0;
    uint64_t m = field_mask(fmt->step_bits);
    return (uint32_t)((current_step - stamp) & m);
}
