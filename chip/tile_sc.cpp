// The SystemC shell of a tile: when, not what. The Host module plays the
// host port (analog inputs and AER spike packets in, packets out); the Tile
// module wakes once per model step, hands the packets that arrived to the C
// kernel (cx_tile_deliver), steps it (cx_tile_step) and sends its spikes.
// Physical time: one model step lasts step_ms / acceleration.
#include "cx_tile_run.h"

#include <cstdlib>
#include <ostream>
#include <systemc>
#include <vector>

// sc_fifo needs to print what it carries.
static std::ostream &operator<<(std::ostream &os, const cx_aer_packet &p)
{
    return os << "aer(" << p.tile << "," << p.neuron << "," << p.step << ")";
}

namespace
{

const cx_aer_format AER = cx_aer_format_default();

struct Tile : sc_core::sc_module {
    sc_core::sc_fifo_in<cx_aer_packet> spikes_in;
    sc_core::sc_fifo_out<cx_aer_packet> spikes_out;
    sc_core::sc_event &step_start, &step_done;
    cx_tile *tile;
    uint32_t tile_index;

    SC_HAS_PROCESS(Tile);
    Tile(sc_core::sc_module_name name, cx_tile *t, uint32_t index, sc_core::sc_event &start,
         sc_core::sc_event &done)
        : sc_module(name), step_start(start), step_done(done), tile(t), tile_index(index)
    {
        SC_THREAD(run);
    }

    void run()
    {
        const double h = cx_tile_step_ms(tile);
        for (;;) {
            wait(step_start);
            const double now = cx_tile_time_ms(tile);
            cx_aer_packet p;
            while (spikes_in.nb_read(p))
                cx_tile_deliver(tile, cx_aer_source_id(&AER, p.tile, p.neuron), p.step * h, now);
            cx_tile_step(tile);
            const uint32_t *who;
            size_t n = cx_tile_spikes(tile, &who, nullptr);
            for (size_t i = 0; i < n; i++)
                spikes_out.write(cx_aer_packet{
                    tile_index, who[i], static_cast<uint32_t>(cx_tile_time_ms(tile) / h), 0});
            step_done.notify(sc_core::SC_ZERO_TIME);
        }
    }
};

struct Host : sc_core::sc_module {
    sc_core::sc_fifo_out<cx_aer_packet> spikes_to_tile;
    sc_core::sc_fifo_in<cx_aer_packet> spikes_from_tile;
    sc_core::sc_event &step_start, &step_done;
    cx_tile_recorder *rec;
    size_t steps;
    sc_core::sc_time period;
    cx_status status = CX_OK;

    SC_HAS_PROCESS(Host);
    Host(sc_core::sc_module_name name, cx_tile_recorder *r, size_t n, sc_core::sc_time step,
         sc_core::sc_event &start, sc_core::sc_event &done)
        : sc_module(name), step_start(start), step_done(done), rec(r), steps(n), period(step)
    {
        SC_THREAD(run);
    }

    void run()
    {
        for (size_t k = 0; k < steps && status == CX_OK; k++) {
            const uint32_t *src;
            size_t n;
            cx_tile_recorder_host(rec, k, &src, &n);
            for (size_t i = 0; i < n; i++) { // host spikes: source id split into tile | neuron
                uint32_t neuron = src[i] & ((1u << AER.neuron_bits) - 1);
                spikes_to_tile.write(
                    cx_aer_packet{src[i] >> AER.neuron_bits, neuron, static_cast<uint32_t>(k), 0});
            }
            step_start.notify(sc_core::SC_ZERO_TIME);
            wait(step_done);
            cx_aer_packet p;
            while (spikes_from_tile.nb_read(p)) {
            } // recorded from the kernel; the packets leave through the router in a chip
            status = cx_tile_recorder_after(rec, k);
            wait(period);
        }
        sc_core::sc_stop();
    }
};

} // namespace

extern "C" cx_status cx_tile_run_systemc(cx_tile *t, const cx_chip_config *chip, cx_tile_run_io *io)
{
    setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
    if (sc_core::sc_is_running() || sc_core::sc_get_status() != sc_core::SC_ELABORATION)
        return cx_fail(CX_ERR_UNSUPPORTED, "tile: SystemC runs once per process");
    cx_tile_recorder *rec;
    CX_TRY(cx_tile_recorder_begin(t, io, &rec));
    cx_status st = CX_OK;
    try {
        // fifos deep enough for the busiest step, so neither side ever blocks
        size_t depth = 16, per_step = 1;
        for (size_t k = 0; io->spikes && k < io->steps; k++) {
            double n = 0;
            for (size_t j = 0; j < io->n_sources; j++)
                n += io->spikes[k * io->n_sources + j];
            if (n + 16 > static_cast<double>(depth)) depth = static_cast<size_t>(n) + 16;
        }
        if (chip->tile.mode == CX_CHIP_CONTINUOUS)
            per_step = static_cast<size_t>(cx_tile_step_ms(t) / chip->tile.analog_step_ms + 0.5);
        size_t out_depth = cx_tile_n_somas(t) * per_step + 16;
        sc_core::sc_fifo<cx_aer_packet> to_tile("to_tile", static_cast<int>(depth));
        sc_core::sc_fifo<cx_aer_packet> from_tile("from_tile", static_cast<int>(out_depth));
        sc_core::sc_event start, done;
        sc_core::sc_time period(cx_tile_step_ms(t) / chip->acceleration, sc_core::SC_MS);
        Tile tile("tile", t, 0, start, done);
        Host host("host", rec, io->steps, period, start, done);
        tile.spikes_in(to_tile);
        tile.spikes_out(from_tile);
        host.spikes_to_tile(to_tile);
        host.spikes_from_tile(from_tile);
        sc_core::sc_start();
        st = host.status;
    } catch (const std::exception &e) {
        st = cx_fail(CX_ERR_UNSUPPORTED, "tile: SystemC: %s", e.what());
    }
    return cx_tile_recorder_end(rec, st);
}
