/*
 * TEMPORARY FILLER (issue 10), to be replaced when the store's id-range
 * leases merge: give the k-th confined jail of the model the user and group
 * ids 1000000000 + 65536*k .. +65535. Not stable when jails are added or
 * removed before it, and not recorded: the leases fix both.
 */
#include "engine/engine_int.h"

void engine_idmap_tmp(struct model *m)
{
	uint32_t k = 0;

	for (size_t i = 0; i < m->n_jails; i++) {
		struct model_jail *j = &m->jails[i];

		if (!j->confine)
			continue;
		if (j->idmap.count == 0) {
			j->idmap.base = 1000000000u + 65536u * k;
			j->idmap.count = 65536;
		}
		k++;
	}
}
