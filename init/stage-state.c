/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <json-c/json.h>
#include <openssl/crypto.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/wait.h>

#include "blkid.h"
#include "cryptsetup.h"
#include "dps.h"
#include "log.h"
#include "measure.h"
#include "pcrsig.h"
#include "sealed.h"
#include "pcrsig-files.h"
#include "recovery.h"
#include "stage-state.h"
#include "state-reencrypt.h"
#include "state-rotate.h"
#include "state-rollover.h"
#include "hex.h"
#include "pcr.h"
#include "luks-reencrypt.h"
#include "test-hooks.h"

#define PASS_SIZE STATE_PASS_SIZE
#define BIND_SIZE (STATE_SECRET_SIZE - STATE_PASS_SIZE)
#define MKE2FS "/usr/sbin/mke2fs"

/* Key material lives in one locked page, wiped before it is unmapped. What the TPM seals is the
 * keyslot passphrase followed by the volume's binding (see state_volume_binding()). */
typedef struct Secrets {
	uint8_t sealed[PASS_SIZE + BIND_SIZE];
	uint8_t fresh[PASS_SIZE + BIND_SIZE];	/* a rotation's new secret */
	uint8_t recovery[RECOVERY_PASS_SIZE];	/* the recovery keyslot's passphrase */
	uint8_t vk[LUKS_KEY_SIZE];
	uint8_t bind[BIND_SIZE];
	uint8_t new_bind[BIND_SIZE];	/* a volume-key rotation's new key, as the unlock found it */
	size_t sealed_size, vk_size;
	ReencryptRecord re;		/* kcc-init's record of a volume-key rotation */
	ReencryptState re_state;
	bool have_new_bind;
	char reason[160];		/* why check_volume() refused */
	char uuid[LUKS_UUID_MAX];	/* the UUID of the volume it accepted */
} Secrets;
#define PASS(s) ((s)->sealed)
#define SEALED_BIND(s) ((s)->sealed + PASS_SIZE)

static Secrets *secrets_new(void)
{
	Secrets *s = mmap(NULL, sizeof(Secrets), PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (s == MAP_FAILED)
		return NULL;
	if (mlock(s, sizeof(*s)) < 0)
		log_warning_errno(-errno, "Failed to lock the key page in memory: %m");
	(void)madvise(s, sizeof(*s), MADV_DONTDUMP);
	return s;
}

static void secrets_freep(Secrets **s)
{
	if (!*s)
		return;
	explicit_wipe(*s, sizeof(**s));
	munlock(*s, sizeof(**s));
	munmap(*s, sizeof(**s));
	*s = NULL;
}

/* The PCR signing key and signed policy of the booted image: the UKI stub hands them over in
 * /.extra; a direct kernel boot uses the development pair in the initramfs. */
typedef struct ImagePolicy {
	uint8_t *key_der;
	size_t key_der_size;
	char *sig_json;
	uint32_t signed_mask; /* UKI: PCR 4 and 11; direct boot: PCR 11 */
} ImagePolicy;

static void image_policy_done(ImagePolicy *p)
{
	free(p->key_der);
	free(p->sig_json);
}

static int image_policy_load(ImagePolicy *p)
{
	bool direct = measure_boot_is_direct();
	const char *key = direct ? POLICY_DIRECT_KEY : POLICY_UKI_KEY;
	const char *sig = direct ? POLICY_DIRECT_SIG : PCRSIG_DIR "/" PCRSIG_PREFIX "*" PCRSIG_SUFFIX;
	_cleanup_free_ char *pem = NULL;
	int r;

	*p = (ImagePolicy){ .signed_mask = direct ? SEALED_SIGNED_DIRECT : SEALED_SIGNED_UKI };
	r = read_small_file(key, 64 * 1024, &pem);
	if (r < 0)
		return log_error_errno(r, "The image has no PCR signing key %s: %m", key);
	r = pem_pubkey_to_der(pem, strlen(pem), &p->key_der, &p->key_der_size);
	if (r < 0)
		return log_error_errno(r, "%s is not a PEM public key", key);
	if (direct)
		r = read_small_file(sig, 256 * 1024, &p->sig_json);
	else
		r = pcrsig_files_merge(PCRSIG_DIR, &p->sig_json);
	if (r < 0)
		return log_error_errno(r, "The image has no signed PCR policy %s: %m", sig);
	return 0;
}

/* state.conf: "literal_pcrs=7,14" binds further PCRs by value (none by default; PCR 11 never). */
static int read_conf(uint32_t *literal)
{
	_cleanup_free_ char *text = NULL;
	char *line, *save = NULL;
	int r;

	*literal = 0;
	r = read_small_file(STATE_CONF, 4096, &text);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return log_error_errno(r, "Failed to read %s: %m", STATE_CONF);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		const char *v;

		if (*line == '#' || *line == '\0')
			continue;
		if ((v = startswith(line, "literal_pcrs="))) {
			if (pcr_mask_parse(v, literal) < 0 || (*literal & (1u << 11)))
				return log_error_errno(-EINVAL, "%s: bad literal_pcrs '%s' (PCR "
								"numbers; 11 is bound by signature)",
						       STATE_CONF, v);
		} else
			return log_error_errno(-EINVAL, "%s: unknown setting '%s'", STATE_CONF, line);
	}
	return 0;
}

static int run_mkfs(void)
{
	char *const argv[] = { MKE2FS, "-q", "-F", "-t", "ext4", "-L", "var", "-E",
			       "lazy_itable_init=1", "/dev/mapper/" STATE_DM_NAME, NULL };
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return log_error_errno(-EIO, "%s failed (status %d)", MKE2FS, status);
	return 0;
}

/* A volume-key rotation's new key: accepted when kcc-init's record carries its binding MACed
 * with the sealed binding (state-reencrypt.c), which only the TPM's unseal gives. */
static bool new_volume_key(Secrets *s)
{
	uint8_t msg[sizeof(REENCRYPT_MAC_LABEL) - 1 + BIND_SIZE], mac[REENCRYPT_MAC_SIZE];
	bool ok;

	if (s->re_state != REENCRYPT_RUNNING && s->re_state != REENCRYPT_FINISHED)
		return false;
	memcpy(msg, REENCRYPT_MAC_LABEL, sizeof(REENCRYPT_MAC_LABEL) - 1);
	memcpy(msg + sizeof(REENCRYPT_MAC_LABEL) - 1, s->bind, BIND_SIZE);
	if (pcr_hmac(PCR_BANK_SHA256, SEALED_BIND(s), BIND_SIZE, msg, sizeof(msg), mac) < 0)
		return false;
	ok = CRYPTO_memcmp(mac, s->re.mac, sizeof(mac)) == 0;
	if (ok) {
		memcpy(s->new_bind, s->bind, BIND_SIZE);
		s->have_new_bind = true;
	}
	explicit_wipe(mac, sizeof(mac));
	return ok;
}

static int check_volume(const LuksParams *p, const uint8_t *vk, size_t vk_size, void *data)
{
	Secrets *s = data;
	int r;

#define REFUSE(...) (snprintf(s->reason, sizeof(s->reason), __VA_ARGS__), -EMEDIUMTYPE)
	if (!streq(p->cipher, LUKS_CIPHER) || !streq(p->mode, LUKS_CIPHER_MODE) ||
	    p->key_size != LUKS_KEY_SIZE || vk_size != LUKS_KEY_SIZE)
		return REFUSE("its data is %s-%s with a %d-bit key, not %s-%s with %d bits", p->cipher,
			      p->mode, p->key_size * 8, LUKS_CIPHER, LUKS_CIPHER_MODE,
			      LUKS_KEY_SIZE * 8);
	if (!streq(p->keyslot_cipher, LUKS_CIPHER "-" LUKS_CIPHER_MODE) ||
	    p->keyslot_key_size != LUKS_KEY_SIZE)
		return REFUSE("its keyslot is %s with a %d-bit key", p->keyslot_cipher,
			      p->keyslot_key_size * 8);
	r = state_volume_binding(p->cipher, p->mode, p->key_size, p->uuid, vk, vk_size, s->bind);
	if (r < 0)
		return r;
	if (CRYPTO_memcmp(s->bind, SEALED_BIND(s), BIND_SIZE) != 0 && !new_volume_key(s))
		return REFUSE("its UUID %s or its volume key is not the one sealed", p->uuid);
	snprintf(s->uuid, sizeof(s->uuid), "%s", p->uuid);
	return 0;
#undef REFUSE
}

/* Activates with the passphrase once the header matches what was sealed, then extends PCR 15
 * before anything reads the volume. */
static int activate(const char *node, Secrets *s)
{
	int r;

	s->vk_size = sizeof(s->vk);
	s->reason[0] = '\0';
	r = luks_activate(node, STATE_DM_NAME, PASS(s), PASS_SIZE, s->vk, &s->vk_size, check_volume,
			  s);
	if (r == -EPERM)
		r = log_error_errno(r, "The TPM-sealed key opens no keyslot of %s: this is not "
				       "the volume the key was sealed for (swapped partition?)",
				    node);
	else if (r < 0 && s->reason[0])
		r = log_error_errno(r, "The state volume %s is not the one the key was sealed for: "
				       "%s; refusing it",
				    node, s->reason);
	else if (r < 0)
		r = log_error_errno(r, "Failed to activate %s: %m", node);
	else
		r = measure_volume(STATE_DM_NAME, s->uuid, s->vk, s->vk_size);
	explicit_wipe(s->vk, sizeof(s->vk));
	explicit_wipe(s->bind, sizeof(s->bind));
	return r;
}

static int random_uuid(char out[LUKS_UUID_MAX])
{
	uint8_t u[16];

	if (getrandom(u, sizeof(u), 0) != sizeof(u))
		return -errno;
	u[6] = (u[6] & 0x0f) | 0x40;
	u[8] = (u[8] & 0x3f) | 0x80;
	snprintf(out, LUKS_UUID_MAX,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0],
		 u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13],
		 u[14], u[15]);
	return 0;
}

static int provision(const char *node, const ImagePolicy *ip, Secrets *s)
{
	unsigned long long t0 = now_ms();
	unsigned long n0 = tpm_commands(measure_tpm());
	json_object *tok;
	char uuid[LUKS_UUID_MAX];
	uint32_t literal;
	Sealed sealed;
	TpmSrk nv;
	int r;

	r = read_conf(&literal);
	if (r < 0)
		return r;
	/* Passphrase, volume key and UUID are made here, so that the binding of the volume is
	 * sealed with the passphrase before anything is written. */
	if (getrandom(PASS(s), PASS_SIZE, 0) != PASS_SIZE ||
	    getrandom(s->vk, LUKS_KEY_SIZE, 0) != LUKS_KEY_SIZE)
		return log_error_errno(-errno, "Failed to get random bytes: %m");
	r = random_uuid(uuid);
	if (r < 0)
		return log_error_errno(r, "Failed to get random bytes: %m");
	r = state_volume_binding(LUKS_CIPHER, LUKS_CIPHER_MODE, LUKS_KEY_SIZE, uuid, s->vk, LUKS_KEY_SIZE,
			   SEALED_BIND(s));
	if (r < 0)
		return log_error_errno(r, "Failed to compute the volume binding: %m");
	s->sealed_size = PASS_SIZE + BIND_SIZE;
	/* The anti-rollback index first (defined once per TPM, kept across re-provisioning): an
	 * image whose epoch the node has moved past does not provision either. */
	r = sealed_epoch_define(measure_tpm(), ip->key_der, ip->key_der_size, ip->signed_mask,
				ip->sig_json, &nv);
	if (r < 0)
		return log_error_errno(r, "Failed to set up the security epoch in the TPM: %s",
				       tpm_error(measure_tpm()));
	r = sealed_create(measure_tpm(), ip->key_der, ip->key_der_size, ip->signed_mask, literal,
			  &nv, s->sealed, s->sealed_size, &sealed);
	if (r < 0)
		return log_error_errno(r, "Failed to seal the state key to the TPM: %s",
				       tpm_error(measure_tpm()));
	log_info("state: key sealed to the TPM (signed PCR %s policy with the security epoch, PCR "
		 "15 at zero)",
		 ip->signed_mask == SEALED_SIGNED_UKI ? "4+11" : "11");
	test_checkpoint("sealed");
	tok = json_object_new_object();
	r = tok ? sealed_to_json(&sealed, tok) : -ENOMEM;
	sealed_done(&sealed);
	if (r >= 0)
		state_token_stamp(tok);
	if (r >= 0)
		r = luks_format(node, PASS(s), PASS_SIZE, s->vk, uuid,
				json_object_to_json_string_ext(tok, JSON_C_TO_STRING_PLAIN),
				test_checkpoint);
	json_object_put(tok);
	explicit_wipe(s->vk, sizeof(s->vk));
	if (r < 0)
		return r;
	test_checkpoint("token");
	if (recovery_enabled(RECOVERY_KEY_PEM)) {
		LuksRotation rec;
		char err[200];

		r = state_recovery_replace(node, PASS(s), -1, s->recovery, &rec, err, sizeof(err));
		if (r < 0)
			return log_error_errno(r, "Failed to add the recovery keyslot: %s", err);
		log_info("state: recovery keyslot %d added, its passphrase encrypted to the "
			 "operator's key in token %d",
			 rec.new_slot, rec.new_token);
	}
	r = activate(node, s);
	if (r < 0)
		return r;
	r = run_mkfs();
	if (r < 0)
		return r;
	log_info("state: ext4 filesystem created");
	test_checkpoint("mkfs");
	sync();
	r = luks_mark_ready(node);
	if (r < 0)
		return log_error_errno(r, "Failed to mark %s provisioned: %m", node);
	log_info("state: provisioned (%llu ms, %lu TPM commands)", now_ms() - t0,
		 tpm_commands(measure_tpm()) - n0);
	return 0;
}

static int unlock(const char *node, const char *token_json, const ImagePolicy *ip, Secrets *s)
{
	unsigned long long t0, t1;
	unsigned long n0;
	json_object *tok;
	char err[160];
	Sealed sealed;
	int r;

	tok = json_tokener_parse(token_json);
	r = tok ? sealed_from_json(tok, &sealed, err, sizeof(err)) : -EBADMSG;
	json_object_put(tok);
	if (r < 0)
		return log_error_errno(-EBADMSG, "The %s token of %s is corrupt: %s",
				       LUKS_TOKEN_TYPE, node, tok ? err : "not JSON");
	if (sealed.signed_mask != ip->signed_mask) {
		sealed_done(&sealed);
		return log_error_errno(-EBADMSG, "The %s token of %s is bound to other signed PCRs "
						 "than this boot path's; refusing it",
				       LUKS_TOKEN_TYPE, node);
	}
	/* Volumes provisioned before the security epoch keep unlocking, with the approvals every
	 * image still carries for them; they get no anti-rollback until re-provisioned. */
	if (!sealed.epoch)
		log_warning("state: %s was sealed before the security epoch (policyRef v2): an older "
			    "image can still unlock it; re-provision it for anti-rollback", node);
	s->sealed_size = sizeof(s->sealed);
	t0 = now_ms();
	n0 = tpm_commands(measure_tpm());
	r = sealed_open(measure_tpm(), &sealed, ip->key_der, ip->key_der_size, ip->sig_json,
			s->sealed, &s->sealed_size);
	sealed_done(&sealed);
	if (r < 0)
		return log_error_errno(r, "The TPM did not release the state key: %s",
				       tpm_error(measure_tpm()));
	if (s->sealed_size != PASS_SIZE + BIND_SIZE)
		return log_error_errno(-EBADMSG, "The sealed key of %s carries no volume binding "
						 "(sealed by an older kcc-init); refusing it",
				       node);
	t1 = now_ms();
	log_info("state: key unsealed by the TPM (%lu TPM commands, %llu ms)",
		 tpm_commands(measure_tpm()) - n0, t1 - t0);
	r = activate(node, s);
	if (r >= 0)
		log_info("state: unlocked (unseal and activation %llu ms)", now_ms() - t0);
	test_checkpoint("unlocked");
	return r;
}

/* Each kcc-tpm2 token in turn: two exist only while a key rotation was cut between adding the new
 * token and removing the old one, and then both open a keyslot. *ret_i: the one that did. */
static int unlock_any(const char *node, const LuksInfo *info, const ImagePolicy *ip, Secrets *s,
		      size_t *ret_i)
{
	int r = 0;

	RolloverToken tok[LUKS_TOKENS_MAX];
	uint8_t own[32];
	size_t to, mine = 0;
	int prev = -1;

	if (info->n_tokens == 0)
		return log_error_errno(-ENOKEY, "%s has no %s token: no sealed key to unlock it with",
				       node, LUKS_TOKEN_TYPE);
	/* A PCR signing key rollover leaves tokens of two keys: only this image's are tried. */
	if (pcr_key_fingerprint(ip->key_der, ip->key_der_size, own) < 0)
		return log_error_errno(-EBADMSG, "The image's PCR signing key cannot be read");
	for (size_t i = 0; i < info->n_tokens; i++)
		if (rollover_token_parse(info->token_json[i], &tok[i]) < 0)
			tok[i] = (RolloverToken){ 0 };
		else if (!memcmp(tok[i].pkfp, own, 32))
			mine++;
	if (rollover_moved_past(tok, info->n_tokens, own, &to)) {
		char hex[65];

		hexify(tok[to].pkfp, 32, hex);
		return log_error_errno(-EKEYREVOKED, "The TPM did not release the state key: the "
						     "node's PCR signing key rolled over from this "
						     "image's key to %.16s (token %d): approvals "
						     "signed by the old key no longer unlock %s; "
						     "refusing to unseal",
				       hex, info->token_id[to], node);
	}
	for (size_t i = 0; i < info->n_tokens; i++) {
		if (mine && memcmp(tok[i].pkfp, own, 32))
			continue;
		if (prev >= 0)
			log_warning("state: token %d did not unlock %s; trying token %d (a key "
				    "rotation was cut short)",
				    prev, node, info->token_id[i]);
		prev = info->token_id[i];
		r = unlock(node, info->token_json[i], ip, s);
		if (r >= 0) {
			*ret_i = i;
			return r;
		}
	}
	return r;
}

static int find_state(const char *disk, char *node, size_t size)
{
	PartitionMatch m = { .type_uuid = DPS_TYPE_VAR, .disk = disk };
	int r = blkid_find_partitions(&m, 1);

	if (r == -ENOTUNIQ)
		return log_error_errno(r, "Two state partitions on %s, refusing to pick one", disk);
	if (r <= 0)
		return log_error_errno(r < 0 ? r : -ENXIO,
				       "No state partition (DPS var type) on /dev/%s", disk);
	snprintf(node, size, "%s", m.ret_node);
	return 0;
}

/* Leaves the public parts of the policy and the sealed token in /run/kcc, for kcc-pcr on the
 * running node (attestation, and tests that prove the key can no longer be unsealed). */
static void publish(const char *node, const char *token_json, const char *key_src,
		    const char *sig_json)
{
	_cleanup_free_ char *text = NULL;
	LuksInfo info;

	if (read_small_file(key_src, 256 * 1024, &text) < 0 ||
	    write_new_file(STATE_RUN_DIR "/tpm2-pcr-public-key.pem", text, 0644) < 0)
		log_warning("Failed to copy %s to %s, ignoring", key_src, STATE_RUN_DIR "/tpm2-pcr-public-key.pem");
	if (sig_json && write_new_file(STATE_RUN_DIR "/tpm2-pcr-signature.json", sig_json, 0644) < 0)
		log_warning("Failed to write %s, ignoring", STATE_RUN_DIR "/tpm2-pcr-signature.json");
	/* An unlock has the token from its header load already; a provisioning or a rotation just
	 * wrote it. */
	info.n_tokens = 0;
	if (!token_json && luks_load(node, &info) >= 0 && info.n_tokens > 0)
		token_json = info.token_json[0];
	if (token_json && write_new_file(STATE_RUN_DIR "/state-token.json", token_json, 0644) < 0)
		log_warning("Failed to write %s/state-token.json, ignoring", STATE_RUN_DIR);
	luks_info_done(&info);
}

int stage_state_run(const char *disk, const char *target)
{
	_cleanup_(secrets_freep) Secrets *s = NULL;
	_cleanup_(image_policy_done) ImagePolicy ip = { 0 };
	_cleanup_(luks_info_done) LuksInfo info = { 0 };
	char node[PATH_MAX], type[64], why[200];
	StateReencryptResult re = STATE_REENCRYPT_IDLE;
	bool unlocked = false;
	size_t used = 0;
	int r;

	r = find_state(disk, node, sizeof(node));
	if (r < 0)
		return r;
	s = secrets_new();
	if (!s)
		return log_error_errno(-ENOMEM, "Failed to allocate the key page: %m");
	r = image_policy_load(&ip);
	if (r < 0)
		return r;

	/* libcryptsetup first: it also finds a header whose primary copy was wiped. */
	r = luks_load(node, &info);
	if (r >= 0 && streq(info.subsystem, LUKS_SUBSYSTEM_READY)) {
		/* A re-encryption only when our record says we started it, before any key. */
		r = luks_reencrypt_inspect(node, &s->re, why, sizeof(why));
		if (r < 0)
			return log_error_errno(r, "The state volume %s carries a re-encryption that "
						  "kcc-init did not start: %s; refusing it",
					       node, why);
		s->re_state = r;
		r = unlock_any(node, &info, &ip, s, &used);
		unlocked = true;
	}
	else if (r >= 0 && streq(info.subsystem, LUKS_SUBSYSTEM_PROVISIONING)) {
		log_info("state: provisioning of %s was cut short; starting again (it never held "
			 "data)", node);
		r = provision(node, &ip, s);
	} else if (r >= 0)
		r = log_error_errno(-EMEDIUMTYPE, "%s is a LUKS2 volume of another kind (subsystem "
						  "'%s'), refusing to touch it",
				    node, info.subsystem);
	else if (luks_header_unfinished(node)) {
		log_info("state: the first LUKS2 header write on %s was cut short; starting again",
			 node);
		r = provision(node, &ip, s);
	} else {
		r = blkid_probe_content(node, type, sizeof(type));
		if (r == -ENOENT) {
			log_info("state: %s is blank, provisioning it", node);
			r = provision(node, &ip, s);
		} else if (r < 0)
			r = log_error_errno(r, "Failed to probe %s: %m", node);
		else
			r = log_error_errno(-EMEDIUMTYPE, "%s holds %s, not a kcc-node state "
							  "volume; refusing to format it",
					    node, type);
	}
	if (r < 0)
		return r;

	r = mkdir_p(target, 0755);
	if (r < 0)
		return log_error_errno(r, "Failed to create %s: %m", target);
	if (mount("/dev/mapper/" STATE_DM_NAME, target, "ext4", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  NULL) < 0)
		return log_error_errno(-errno, "Failed to mount the state volume on %s: %m", target);
	log_info("state volume mounted on %s", target);
	/* A requested rotation, still in the initrd (PCR 11 not yet at leave-initrd): the volume
	 * key's first, then the keyslot's. A failure keeps the current key and the request, and
	 * the boot goes on. */
	if (unlocked && s->re_state == REENCRYPT_FINISHED && !s->have_new_bind) {
		memcpy(s->new_bind, SEALED_BIND(s), BIND_SIZE); /* sealed for the new key already */
		s->have_new_bind = true;
	}
	if (unlocked)
		re = state_reencrypt_run(&(StateReencrypt){
			.node = node, .var = target, .state = s->re_state,
			.token_id = info.token_id[used],
			.token_json = info.token_json[used], .key_der = ip.key_der,
			.key_der_size = ip.key_der_size, .secret = s->sealed, .fresh = s->fresh,
			.recovery = s->recovery, .vk = s->vk,
			.new_bind = s->have_new_bind ? s->new_bind : NULL, .uuid = info.uuid });
	if (re == STATE_REENCRYPT_SEALED)
		unlocked = false; /* sealed anew: the rotation below is done, publish the new token */
	else if (unlocked && re == STATE_REENCRYPT_IDLE &&
		 state_rotate_due(target, info.token_json[used], why, sizeof(why)) &&
		 state_rotate_run(node, target, why, info.token_id[used], info.token_json[used],
				  info.recovery_token, ip.key_der, ip.key_der_size, s->sealed,
				  s->fresh, s->recovery) >= 0)
		unlocked = false; /* publish the new token */
	else if (unlocked && re == STATE_REENCRYPT_IDLE &&
		 state_rollover_run(node, info.token_json, info.token_id, info.n_tokens, used,
				    ip.key_der, ip.key_der_size,
				    measure_boot_is_direct() ? ROLLOVER_NEXT_DIRECT_KEY :
							       ROLLOVER_NEXT_UKI_KEY,
				    s->sealed) > 0)
		unlocked = false; /* publish the tokens anew */
	publish(node, unlocked ? info.token_json[used] : NULL,
		measure_boot_is_direct() ? POLICY_DIRECT_KEY : POLICY_UKI_KEY, ip.sig_json);
	return 0;
}
