#include <string.h>

#include "conf.h"

#define G1 1u
#define G2 2u

/* Azure's SKU table: generations each SKU exists in and its P2S caps. */
static const struct sku_info skus[] = {
	{"Basic", G1, 128, 0},
	{"VpnGw1", G1, 128, 250},
	{"VpnGw2", G1 | G2, 128, 500},
	{"VpnGw3", G1 | G2, 128, 1000},
	{"VpnGw4", G2, 128, 5000},
	{"VpnGw5", G2, 128, 10000},
	{"VpnGw1AZ", G1, 128, 250},
	{"VpnGw2AZ", G1 | G2, 128, 500},
	{"VpnGw3AZ", G1 | G2, 128, 1000},
	{"VpnGw4AZ", G2, 128, 5000},
	{"VpnGw5AZ", G2, 128, 10000},
};

const struct sku_info *sku_lookup(const char *name)
{
	for (size_t i = 0; i < sizeof(skus) / sizeof(skus[0]); i++)
		if (strcmp(skus[i].name, name) == 0)
			return &skus[i];
	return NULL;
}
