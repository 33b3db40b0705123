/* Writing a node tree back out as a YAML document (libyaml emitter). */
#include "cx_yaml.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <yaml.h>

/* ---------------------------------------------------------------- writer */

static int emit_scalar(yaml_emitter_t *em, const cx_yaml_node *n)
{
    yaml_event_t ev;
    /* Plain null written as "null" so it survives flow context, where "" cannot. */
    const char *v = !n->quoted && !n->value[0] ? "null" : n->value;
    yaml_scalar_style_t style = n->quoted ? YAML_DOUBLE_QUOTED_SCALAR_STYLE : YAML_ANY_SCALAR_STYLE;
    yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)v, (int)strlen(v), !n->quoted, 1,
                                 style);
    return yaml_emitter_emit(em, &ev);
}

static int emit_node(yaml_emitter_t *em, const cx_yaml_node *n)
{
    yaml_event_t ev;
    if (n->kind == CX_YAML_SCALAR) return emit_scalar(em, n);
    if (n->kind == CX_YAML_SEQUENCE) {
        /* Flow style for rows of scalars keeps number lists on one line. */
        int flow = 1;
        for (size_t i = 0; i < n->n; i++)
            flow &= n->items[i]->kind == CX_YAML_SCALAR;
        yaml_sequence_start_event_initialize(
            &ev, NULL, NULL, 1, flow ? YAML_FLOW_SEQUENCE_STYLE : YAML_BLOCK_SEQUENCE_STYLE);
    } else {
        yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
    }
    if (!yaml_emitter_emit(em, &ev)) return 0;
    for (size_t i = 0; i < n->n; i++) {
        if (n->keys && !emit_scalar(em, n->keys[i])) return 0;
        if (!emit_node(em, n->items[i])) return 0;
    }
    if (n->kind == CX_YAML_SEQUENCE)
        yaml_sequence_end_event_initialize(&ev);
    else
        yaml_mapping_end_event_initialize(&ev);
    return yaml_emitter_emit(em, &ev);
}

static int emit_document(yaml_emitter_t *em, const cx_yaml_node *node)
{
    yaml_event_t ev;
    yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
    if (!yaml_emitter_emit(em, &ev)) return 0;
    yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
    if (!yaml_emitter_emit(em, &ev) || !emit_node(em, node)) return 0;
    yaml_document_end_event_initialize(&ev, 1);
    if (!yaml_emitter_emit(em, &ev)) return 0;
    yaml_stream_end_event_initialize(&ev);
    return yaml_emitter_emit(em, &ev) && yaml_emitter_flush(em);
}

cx_status cx_yaml_write(FILE *fp, const cx_yaml_node *node)
{
    yaml_emitter_t em;
    if (!yaml_emitter_initialize(&em)) return cx_fail(CX_ERR_NOMEM, "YAML writer: out of memory");
    yaml_emitter_set_output_file(&em, fp);
    yaml_emitter_set_unicode(&em, 1);
    int ok = emit_document(&em, node);
    cx_status st = CX_OK;
    if (!ok)
        st = cx_fail(em.error == YAML_WRITER_ERROR ? CX_ERR_IO : CX_ERR_FORMAT,
                     "cannot write YAML for '%s': %s", node->path,
                     em.problem ? em.problem : "emitter error");
    yaml_emitter_delete(&em);
    if (st == CX_OK && (fflush(fp) != 0 || ferror(fp)))
        st = cx_fail(CX_ERR_IO, "cannot write YAML: %s", strerror(errno));
    return st;
}
