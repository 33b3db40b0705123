#include "cx_model.h"
#include "cx_fileio.h"
#include "cx_json.h"

#include <stdlib.h>
#include <string.h>

cx_status cx_model_kind_parse(const char *name, cx_model_kind *out)
{
    if (!strcmp(name, "elm") || !strcmp(name, "branch-elm"))
        *out = CX_KIND_ELM;
    else if (!strcmp(name, "glifr"))
        *out = CX_KIND_GLIFR;
    else if (!strcmp(name, "auto"))
        *out = CX_KIND_AUTO;
    else
        return cx_fail(CX_ERR_USAGE, "unknown model kind '%s' (expected elm, glifr or auto)", name);
    return CX_OK;
}

const char *cx_model_kind_name(cx_model_kind kind)
{
    return kind == CX_KIND_ELM ? "elm" : kind == CX_KIND_GLIFR ? "glifr" : "auto";
}

void cx_model_free(cx_model *m)
{
    if (!m) return;
    cx_elm_free(m->elm);
    cx_glifr_free(m->glifr);
    cJSON_Delete(m->config);
    free(m->config_path);
    free(m->dir);
    free(m);
}

static int looks_like_glifr(const cJSON *cfg)
{
    return cJSON_GetObjectItemCaseSensitive(cfg, "num_ascs") ||
           (cJSON_GetObjectItemCaseSensitive(cfg, "hidden_size") &&
            cJSON_GetObjectItemCaseSensitive(cfg, "dt"));
}

static int looks_like_elm(const cJSON *cfg)
{
    return cJSON_GetObjectItemCaseSensitive(cfg, "num_memory") ||
           cJSON_GetObjectItemCaseSensitive(cfg, "num_synapse_per_branch");
}

/* Picks the config file and the kind; ELM folders use model_config.json. */
static cx_status locate_config(cx_model *m, cx_model_kind kind)
{
    char *elm_cfg = cx_path_join(m->dir, "model_config.json");
    char *glifr_cfg = cx_path_join(m->dir, "config.json");
    if (!elm_cfg || !glifr_cfg) {
        free(elm_cfg);
        free(glifr_cfg);
        return cx_fail(CX_ERR_NOMEM, "out of memory");
    }
    int has_elm = cx_path_exists(elm_cfg), has_glifr = cx_path_exists(glifr_cfg);
    if (kind == CX_KIND_ELM)
        m->config_path = has_elm || !has_glifr ? elm_cfg : glifr_cfg;
    else if (kind == CX_KIND_GLIFR)
        m->config_path = has_glifr || !has_elm ? glifr_cfg : elm_cfg;
    else
        m->config_path = has_elm ? elm_cfg : glifr_cfg;
    if (m->config_path != elm_cfg) free(elm_cfg);
    if (m->config_path != glifr_cfg) free(glifr_cfg);
    if (!has_elm && !has_glifr && !cx_path_exists(m->dir))
        return cx_fail(CX_ERR_MISSING, "%s: model folder not found", m->dir);
    if (!has_elm && !has_glifr)
        return cx_fail(CX_ERR_MISSING, "%s: no model_config.json (ELM) or config.json (GLIFR)",
                       m->dir);
    CX_TRY(cx_json_load(m->config_path, &m->config));
    if (!cJSON_IsObject(m->config))
        return cx_fail(CX_ERR_FORMAT, "%s: expected a JSON object", m->config_path);
    m->kind = kind;
    if (kind == CX_KIND_AUTO) {
        if (looks_like_elm(m->config) && !looks_like_glifr(m->config))
            m->kind = CX_KIND_ELM;
        else if (looks_like_glifr(m->config) && !looks_like_elm(m->config))
            m->kind = CX_KIND_GLIFR;
        else
            return cx_fail(CX_ERR_UNSUPPORTED,
                           "%s: unknown model kind: the config has %s the ELM keys "
                           "(num_memory, num_synapse_per_branch) %s the GLIFR keys (num_ascs, "
                           "hidden_size + dt); pass --kind elm|glifr",
                           m->config_path, looks_like_elm(m->config) ? "both" : "neither",
                           looks_like_elm(m->config) ? "and" : "nor");
    }
    return CX_OK;
}

cx_status cx_model_load(const char *dir, cx_model_kind kind, const char *const *overrides,
                        int n_overrides, cx_model **out)
{
    *out = NULL;
    cx_model *m = calloc(1, sizeof *m);
    if (!m) return cx_fail(CX_ERR_NOMEM, "out of memory");
    size_t n = strlen(dir) + 1;
    m->dir = malloc(n);
    if (!m->dir) {
        cx_model_free(m);
        return cx_fail(CX_ERR_NOMEM, "out of memory");
    }
    memcpy(m->dir, dir, n);
    cx_status st = locate_config(m, kind);
    const cx_json_schema *schema =
        m->kind == CX_KIND_ELM ? cx_elm_config_schema() : cx_glifr_config_schema();
    /* each override is checked on its own, so that its error names it */
    for (int i = 0; st == CX_OK && i < n_overrides; i++)
        st = cx_json_apply_override(m->config, overrides[i], schema, "--param");
    if (st == CX_OK && m->kind == CX_KIND_ELM)
        st = cx_elm_load(dir, m->config, m->config_path, &m->elm);
    else if (st == CX_OK)
        st = cx_glifr_load(dir, m->config, m->config_path, &m->glifr);
    if (st != CX_OK) {
        cx_model_free(m);
        return st;
    }
    *out = m;
    return CX_OK;
}
