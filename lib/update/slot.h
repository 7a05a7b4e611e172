/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The A/B slots (docs/upgrades.md, "Slots"): a slot is a pair of GPT partitions, a root
 * (erofs) and its dm-verity hash tree, whose partition UUIDs are the two halves of the root hash
 * the UKI's kcc.roothash= names. slot_layout_read() finds the running pair and the other one; the
 * slot writer puts a bundle into the other pair, fed by the bundle reader (bundle.h), in steps
 * ordered so that a power cut at any point leaves the running slot and its boot entry untouched
 * and the other slot unbootable until the single commit point, the rename of the new UKI. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "bundle.h"
#include "gpt.h"

#define SLOT_EMPTY_NAME "_empty"
#define SLOT_TRIES 3u /* tries a newly installed UKI gets (the loader's counter) */

typedef struct SlotPair {
	char letter; /* 'a' for the first pair on the disk, 'b' for the second */
	GptPart root, verity;
	bool valid;          /* named root-X / root-X-verity, GUID:63 clear */
	char roothash[65];   /* from the UUIDs, when valid */
} SlotPair;

typedef struct SlotLayout {
	SlotPair pairs[2];
	int running; /* index of the running pair */
	int other;
	GptPart esp;
} SlotLayout;

/* "0123...": the two UUIDs (lower case, 8-4-4-4-12) a root hash of 64 hex digits names. */
int slot_roothash_uuids(const char *roothash, char root_uuid[GPT_UUID_LEN + 1], char verity_uuid[GPT_UUID_LEN + 1]);
/* Reads the disk's GPT: exactly two root + root-verity pairs (each root directly followed by its
 * verity partition) and one ESP; the running pair is the one whose UUIDs match running_roothash. */
int slot_layout_read(const char *disk, const char *running_roothash, SlotLayout *ret, char *err, size_t errlen);

/* The steps of an apply, in order; a fault hook (tests) is called before each one and before
 * every chunk written (SLOT_STEP_WRITE); a negative return stops the writer there as a power cut
 * would: nothing is undone. SLOT_STEP_COMMIT is reached inside the install, with the UKI written
 * under its dot-temp name, just before the rename; SLOT_STEP_STAGED just after it. */
typedef enum SlotStep {
	SLOT_STEP_MARK_EMPTY,   /* GPT: the other pair named _empty, GUID:63, new random UUIDs */
	SLOT_STEP_REMOVE_ENTRY, /* ESP: the other slot's UKI and signature removed */
	SLOT_STEP_WRITE,        /* a chunk of root.erofs or root.verity written */
	SLOT_STEP_VERIFY,       /* both partitions read back against the signed chunk hashes */
	SLOT_STEP_SET_GPT,      /* GPT: UUIDs from the new root hash, root-X / root-X-verity, GUID:63 clear */
	SLOT_STEP_INSTALL,      /* ESP: signature, then the UKI as +3 through a dot-temp name: the commit */
	SLOT_STEP_COMMIT,       /* the UKI's dot-temp file written and synced: the rename (commit point) next */
	SLOT_STEP_STAGED,       /* renamed: the update is staged */
	_SLOT_STEP_MAX,
} SlotStep;
extern const char *const slot_step_names[_SLOT_STEP_MAX];

typedef struct SlotWriterConfig {
	const char *disk;            /* the whole disk (block device or image file) */
	const char *esp;             /* the mounted ESP (a directory) */
	const SlotLayout *layout;
	const char *running_version;
	unsigned node_epoch;         /* bundles below it are refused */
	int (*fault)(void *userdata, SlotStep step);
	void *fault_userdata;
} SlotWriterConfig;

typedef enum SlotResult {
	SLOT_RESULT_NONE,
	SLOT_RESULT_STAGED,         /* written, committed: boots next */
	SLOT_RESULT_ALREADY_STAGED, /* the same root hash was staged already: nothing written */
	SLOT_RESULT_RUNNING,        /* the bundle is the running image: nothing written */
} SlotResult;

typedef struct SlotWriter SlotWriter;
int slot_writer_new(const SlotWriterConfig *cfg, SlotWriter **ret);
SlotWriter *slot_writer_free(SlotWriter *w);
/* The bundle reader's callbacks, userdata = the writer. The manifest callback refuses (before any
 * byte is written) an image of another image_id, a security epoch below the node's, the running
 * version under another root hash, parts that do not fit the partitions; it stops the read with
 * -EALREADY when nothing needs to be written (SlotResult ALREADY_STAGED or RUNNING). */
extern const BundleCallbacks slot_writer_callbacks;
/* After bundle_reader_finish() succeeded: verify, set the GPT, install the UKI (the commit). */
int slot_writer_finish(SlotWriter *w);
SlotResult slot_writer_result(const SlotWriter *w);
/* The manifest the writer accepted (NULL before). */
const BundleManifest *slot_writer_manifest(const SlotWriter *w);
/* One line for the last failure or refusal, "" when none. */
const char *slot_writer_error(const SlotWriter *w);
/* true when the writer refused the bundle for a reason of policy (epoch, image, size), not a
 * system failure. */
bool slot_writer_refused(const SlotWriter *w);

/* Makes the other pair unbootable (GPT _empty, GUID:63, random UUIDs), as the first step of an
 * apply does (cancel). */
int slot_mark_empty(const char *disk, const SlotPair *p, char *err, size_t errlen);
