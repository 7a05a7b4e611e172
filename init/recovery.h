/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The state volume's recovery keyslot (docs/measured-boot.md, "Recovery key"): off unless the image
 * carries an operator's public key (build.sh --recovery-key PEM puts it in the initramfs; the node
 * configuration cannot: whoever runs the hypervisor writes that, and would get a way into /var).
 * Its passphrase is 32 random bytes, encrypted to that key as a CMS EnvelopedData (RFC 5652:
 * RSA-OAEP with SHA-256 for an RSA key, ECDH key agreement for an EC key; content AES-256-CBC)
 * and kept in the LUKS2 token "kcc-recovery"; it is never printed or stored anywhere else.
 * image/recovery-open.sh opens the volume on a rescue machine with the private key. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#define RECOVERY_KEY_PEM "/etc/kcc/recovery-key.pem"
#define RECOVERY_PASS_SIZE 32

/* True when the image asks for a recovery keyslot. */
bool recovery_enabled(const char *pem_path);

/* Makes a random recovery passphrase (pass: RECOVERY_PASS_SIZE bytes, locked memory the caller
 * wipes) and the body of its token: {"kcc-cms": base64 DER of the EnvelopedData,
 * "kcc-recipient": SHA-256 of the public key's SubjectPublicKeyInfo, hex}. -EINVAL: not an RSA
 * (2048 bits or more) or EC public key in PEM; the reason in err. */
int recovery_token_new(const char *pem_path, uint8_t *pass, char **ret_json, char *err,
		       size_t err_size);
