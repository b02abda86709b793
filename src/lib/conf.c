/* SPDX-License-Identifier: BSD-2-Clause */
/* Placeholder until the config parser lands. */
#include "conf.h"
#include <errno.h>
#include <string.h>
void conf_init_defaults(struct tflow_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->interfaces_all = true;
	cfg->cache_entries = 4096;
	cfg->active_timeout_ms = 30 * 60 * 1000;
	cfg->inactive_timeout_ms = 15 * 1000;
	cfg->ipfix_fields = ~(uint64_t)0;
}
int conf_parse_string(const char *text, size_t len, struct tflow_config *cfg, struct conf_error *err)
{ (void)text; (void)len; (void)cfg; (void)err; return 0; }
int conf_parse_file(const char *path, struct tflow_config *cfg, struct conf_error *err)
{ (void)path; (void)cfg; (void)err; return 0; }
void conf_export(const struct tflow_config *cfg, FILE *out) { (void)cfg; (void)out; }
int conf_parse_time_ms(const char *s, uint64_t *out_ms) { (void)s; (void)out_ms; return -EINVAL; }
int conf_parse_size(const char *s, uint64_t *out) { (void)s; (void)out; return -EINVAL; }
int conf_parse_bool(const char *s, bool *out) { (void)s; (void)out; return -EINVAL; }
