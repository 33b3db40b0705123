// The SystemC shell of the router: when, not what. Each activation hands one
// event cycle to the C kernel (cx_noc_step) and sleeps until the next one.
#include "cx_noc_sc.h"

#include <cstdlib>
#include <systemc>

namespace
{

struct Noc : sc_core::sc_module {
    cx_noc *noc;
    uint64_t end_cycle;
    uint64_t cycle = 0; // cycle the module last woke at
    sc_core::sc_time period;
    sc_core::sc_event wake;

    SC_HAS_PROCESS(Noc);
    Noc(sc_core::sc_module_name name, cx_noc *n, uint64_t end)
        : sc_module(name), noc(n), end_cycle(end),
          period(1.0 / cx_noc_get_config(n)->clock_mhz, sc_core::SC_US)
    {
        SC_METHOD(on_wake);
        sensitive << wake;
        dont_initialize();
    }

    void start_of_simulation() override
    {
        cycle = cx_noc_get_stats(noc)->now;
        schedule();
    }

    void schedule()
    {
        uint64_t next = cx_noc_next_time(noc);
        if (next >= end_cycle) return;
        wake.notify(period * static_cast<double>(next - cycle)); // 0: a delta cycle
        cycle = next;
    }

    void on_wake()
    {
        cx_noc_step(noc);
        schedule();
    }
};

} // namespace

extern "C" cx_status cx_noc_run_systemc(cx_noc *noc, uint64_t end_cycle)
{
    setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
    if (sc_core::sc_is_running() || sc_core::sc_get_status() != sc_core::SC_ELABORATION)
        return cx_fail(CX_ERR_UNSUPPORTED, "router: SystemC runs once per process");
    try {
        Noc top("noc", noc, end_cycle);
        sc_core::sc_start();
    } catch (const std::exception &e) {
        return cx_fail(CX_ERR_UNSUPPORTED, "router: SystemC: %s", e.what());
    }
    return CX_OK;
}
