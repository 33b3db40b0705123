// libsystemc references sc_main; cortile starts SystemC from its own main()
// (cx_noc_run_systemc), so this entry point is never used.
#include <systemc>

int sc_main(int, char *[])
{
    return 1;
}
