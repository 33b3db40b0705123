/* Where the bundled data is: beside the executable, so that a copied or
 * moved checkout (or an installed tree) uses its own data, not the folder
 * the binary was built in. */
#define _DEFAULT_SOURCE /* realpath */
#include "cx_cli.h"
#include "cx_fileio.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The marker a data folder holds: the demo's checkpoint. */
static int holds_data(const char *dir)
{
    char *cfg = cx_path_join(dir, "glifr/lmnist_glifr_lheta/config.json");
    int ok = cfg && cx_path_exists(cfg);
    free(cfg);
    return ok;
}

/* dir (a fresh string) when it holds the data, else NULL (dir freed). */
static char *keep_if_data(char *dir)
{
    if (dir && holds_data(dir)) return dir;
    free(dir);
    return NULL;
}

static char *beside_executable(void)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return NULL;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash) return NULL;
    *slash = '\0'; /* the executable's folder */
    /* build/cli/cortile in a checkout; bin/cortile under an install prefix */
    static const char *const rel[] = {"../../data", "../share/cortile/data", "../data"};
    for (size_t i = 0; i < sizeof rel / sizeof *rel; i++) {
        char *dir = keep_if_data(cx_path_join(exe, rel[i]));
        if (!dir) continue;
        char real[PATH_MAX], cwd[PATH_MAX];
        if (!realpath(dir, real)) return dir;
        free(dir);
        /* under the working folder: relative, as a user would type it */
        size_t k = getcwd(cwd, sizeof cwd) ? strlen(cwd) : 0;
        if (k && !strncmp(real, cwd, k) && real[k] == '/') return strdup(real + k + 1);
        return strdup(real);
    }
    return NULL;
}

const char *cx_cli_data_dir(void)
{
    static char *found;
    static int looked;
    const char *env = getenv("CORTILE_DATA_DIR");
    if (env && *env) return holds_data(env) ? env : NULL;
    if (!looked) {
        looked = 1;
        found = beside_executable();
        if (!found) found = keep_if_data(strdup(CORTILE_DATA_DIR));
    }
    return found;
}
