/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>

#include "kmod.h"
#include "log.h"
#include "stage-modules.h"

#define MODULES_CONF_MAX 16384

int stage_modules_run(const char *config_path)
{
	_cleanup_free_ char *conf = NULL;
	char *save = NULL;
	unsigned count = 0;
	bool optional, listed = false;
	int r;

	r = read_small_file(config_path, MODULES_CONF_MAX, &conf);
	if (r < 0)
		return log_error_errno(r, "Failed to read module list %s: %m", config_path);
	for (char *line = strtok_r(conf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *end;

		while (isspace((unsigned char)*line))
			line++;
		end = line + strlen(line);
		while (end > line && isspace((unsigned char)end[-1]))
			*--end = '\0';
		if (!*line || *line == '#')
			continue;
		listed = true;
		optional = *line == '?';
		if (optional)
			line++;
		for (char *c = line; *c; c++)
			if (!isalnum((unsigned char)*c) && *c != '_' && *c != '-')
				return log_error_errno(-EINVAL, "Module list %s: bad module name '%s'",
						       config_path, line);
		r = kmod_load(line);
		if (r == -ENODEV && optional) {
			log_debug("module %s: no such device here, skipped", line);
			continue;
		}
		if (r < 0) {
			kmod_done();
			return log_error_errno(r, "Failed to load kernel module %s: %m", line);
		}
		log_debug("loaded module %s", line);
		count++;
	}
	kmod_done();
	if (count == 0 && !listed)
		log_info("no kernel modules to load: %s is empty, the kernel has its drivers built in",
			 config_path);
	else
		log_info("loaded %u kernel modules with their dependencies", count);
	return (int)count;
}
