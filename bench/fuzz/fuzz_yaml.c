/* libFuzzer target: the YAML reader (cx_yaml_load_string) and the strictest
 * schema on top of it, the chip description (cx_chip_from_yaml: key checks
 * with did-you-mean, typed reads, ranges, cross-key rules, defects). */
#include "cx_chip.h"
#include "cx_yaml.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    cx_yaml_doc *doc = NULL;
    if (cx_yaml_load_string("fuzz.yaml", text, &doc) == CX_OK) {
        cx_chip_config chip;
        if (cx_chip_from_yaml(doc->root, &chip) == CX_OK) {
            cx_chip_defect_map m;
            if (cx_chip_defects(&chip, &m) == CX_OK) cx_chip_defects_free(&m);
            cx_chip_free(&chip);
        }
        cx_yaml_free(doc);
    }
    free(text);
    return 0;
}
