/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ie: the element table of ie.def as data, with an O(1) lookup by id
 * (ids tflow knows are below 512; the index is built at compile time).
 */
#include "tflow/ie.h"

static const struct ie_info ie_table[] = {
#define IE(id, v9, ipfix, len, type) { id, len, IE_TYPE_##type, #v9, ipfix },
#include "tflow/ie.def"
#undef IE
};

#define IE_INDEX_MAX 512

/* Row numbers of ie_table, in the order of ie.def. */
enum ie_row {
#define IE(id, v9, ipfix, len, type) IE_ROW_##v9,
#include "tflow/ie.def"
#undef IE
};

/* ids tflow knows, mapped to their table row + 1 (0: unknown). */
static const uint16_t ie_index[IE_INDEX_MAX] = {
#define IE(id, v9, ipfix, len, type) [id] = IE_ROW_##v9 + 1,
#include "tflow/ie.def"
#undef IE
};

const struct ie_info *ie_lookup(uint16_t id)
{
	if (id >= IE_INDEX_MAX || ie_index[id] == 0)
		return NULL;
	return &ie_table[ie_index[id] - 1];
}
