/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <libkmod.h>

#include "kmod.h"
#include "log.h"

static struct kmod_ctx *ctx;

static void kmod_log_glue(void *data, int priority, const char *file, int line, const char *fn,
			  const char *format, va_list args)
{
	char buf[512];

	(void)data, (void)file, (void)line, (void)fn;
	if (!log_debug_enabled() && priority > LOG_ERR)
		return;
	vsnprintf(buf, sizeof(buf), format, args);
	buf[strcspn(buf, "\n")] = '\0';
	log_debug("libkmod: %s", buf);
}

static int ensure_ctx(void)
{
	if (ctx)
		return 0;
	ctx = kmod_new(/* dirname= */ NULL, /* config_paths= */ NULL);
	if (!ctx)
		return -ENOMEM;
	kmod_set_log_fn(ctx, kmod_log_glue, NULL);
	return kmod_load_resources(ctx) < 0 ? -ENOENT : 0;
}

static void kmod_list_freep(struct kmod_list **l)
{
	if (*l)
		kmod_module_unref_list(*l);
}

int kmod_load(const char *name)
{
	_cleanup_(kmod_list_freep) struct kmod_list *list = NULL;
	struct kmod_list *it;
	int r;

	r = ensure_ctx();
	if (r < 0)
		return r;
	r = kmod_module_new_from_lookup(ctx, name, &list);
	if (r < 0)
		return r;
	if (!list)
		return -ENOENT;
	kmod_list_foreach(it, list)
	{
		struct kmod_module *mod = kmod_module_get_module(it);
		/* Soft dependencies are followed by probe_insert_module itself. */
		r = kmod_module_probe_insert_module(mod, KMOD_PROBE_IGNORE_COMMAND,
						    /* extra_options= */ NULL, /* run_install= */ NULL,
						    /* data= */ NULL, /* print_action= */ NULL);
		kmod_module_unref(mod);
		if (r == -EEXIST)
			r = 0;
		if (r < 0)
			return r;
	}
	return 0;
}

void kmod_done(void)
{
	if (ctx)
		ctx = kmod_unref(ctx);
}
