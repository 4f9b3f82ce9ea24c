/*
 * Test driver for tests/cli/t_export.sh and t_fbsd_boot.sh: lease the
 * `address = auto` addresses of a config in a store, as apply does
 * (engine_resolve_auto writing to the store's IPAM), without touching any
 * host. Usage: drv_lease STATE_DIR CONFIG. Prints "JAIL IFACE ADDRESS" per
 * lease; exit 0, or 1 with a message.
 */
#include <stdio.h>
#include <string.h>

#include "conf/conf.h"
#include "engine/engine_int.h"

int main(int argc, char **argv)
{
	struct conf_errors errs = { 0 };
	struct engine e = { 0 };
	struct model m = { 0 };
	char err[512] = "";
	int r;

	if (argc != 3) {
		fprintf(stderr, "usage: drv_lease STATE_DIR CONFIG\n");
		return 1;
	}
	if (conf_load(argv[2], &m, &errs) < 0) {
		conf_errors_print(stderr, &errs);
		conf_errors_free(&errs);
		return 1;
	}
	r = store_open(argv[1], STORE_WRITE, 0, &e.store, err, sizeof(err));
	if (r == 0)
		r = engine_resolve_auto(&e, &m, false);
	if (r < 0)
		fprintf(stderr, "drv_lease: %s\n", err[0] ? err : e.err);
	for (size_t i = 0; i < m.n_jails && r == 0; i++)
		for (size_t f = 0; f < m.jails[i].n_ifaces; f++)
			for (size_t k = 0; k < m.jails[i].ifaces[f].n_addrs; k++) {
				char a[ADDR_STRLEN];
				printf("%s %s %s\n", m.jails[i].name, m.jails[i].ifaces[f].name,
				       addr_format(&m.jails[i].ifaces[f].addrs[k], a, sizeof(a)));
			}
	store_close(e.store);
	model_free(&m);
	return r < 0;
}
