/* The policy groups' access rules, compiled once per configuration: each
 * admitted session points at its group's (by name, so a reload that keeps
 * the group gives the live session the new rules at once). */
#define LOG_MODULE "rules"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/gateway.h"
#include "lib/log.h"

static struct acl *acl_for(struct acl *acls, size_t n, const char *group)
{
	for (size_t i = 0; i < n; i++)
		if (acls[i].n && strcmp(acls[i].group, group) == 0)
			return &acls[i];
	return NULL;
}

void core_acl_attach(struct session *s)
{
	struct core *g = s->core;
	s->acl = acl_for(g->acls, g->n_acls, s->group);
}

static void acls_free(struct acl *a, size_t n)
{
	for (size_t i = 0; i < n; i++)
		acl_free(&a[i]);
	free(a);
}

/* Compiles c's rules and moves every session to its group's new ones. */
int core_acls_apply(struct core *g, const struct gw_conf *c)
{
	size_t n = c->policy_groups.n;
	struct acl *a = calloc(n + 1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	size_t rules = 0;
	for (size_t i = 0; i < n; i++)
		if (acl_compile(&a[i], &c->policy_groups.v[i]) == 0)
			rules += a[i].n;
	for (struct session *s = g->reg.head; s; s = s->next)
		s->acl = s->admitted ? acl_for(a, n, s->group) : NULL;
	acls_free(g->acls, g->n_acls);
	g->acls = a;
	g->n_acls = n;
	if (rules)
		log_info("%zu access rule(s) in force", rules);
	return 0;
}

void core_acls_free(struct core *g)
{
	acls_free(g->acls, g->n_acls);
	g->acls = NULL;
	g->n_acls = 0;
}
