/* cx_model: checkpoint folders of either kind, detected from their config. */
#ifndef CX_MODEL_H
#define CX_MODEL_H

#include "cx_elm.h"
#include "cx_glifr.h"
#include "cx_status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { CX_KIND_AUTO, CX_KIND_ELM, CX_KIND_GLIFR } cx_model_kind;

typedef struct {
    cx_model_kind kind;
    char *dir;
    char *config_path;
    cJSON *config; /* the config as used, overrides applied */
    cx_elm_model *elm;
    cx_glifr_model *glifr;
} cx_model;

/* Parses "elm" / "glifr" (also "branch-elm"); an unknown name is a usage error. */
cx_status cx_model_kind_parse(const char *name, cx_model_kind *out);
const char *cx_model_kind_name(cx_model_kind kind);

/* Loads a checkpoint folder. With CX_KIND_AUTO the kind follows the config:
 * model_config.json -> ELM; config.json with hidden_size/num_ascs or a
 * GLIFR state_dict -> GLIFR. `overrides` are "key=value" strings (the CLI's
 * --param, which their errors name) applied to the config before it is read
 * (constructor defaults upstream leaves out): each key must be a parameter
 * of the kind's schema and each value must pass its check. The config, with
 * the overrides, is then checked against that schema (cx_elm_load,
 * cx_glifr_load). */
cx_status cx_model_load(const char *dir, cx_model_kind kind, const char *const *overrides,
                        int n_overrides, cx_model **out);
void cx_model_free(cx_model *m);

#ifdef __cplusplus
}
#endif
#endif
