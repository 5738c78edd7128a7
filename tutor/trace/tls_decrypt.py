"""TLS record decryption with keys from a key log: the cipher suites, the key schedules (TLS 1.3 HKDF-Expand-Label,
RFC 8446 §7.1 and §7.3; TLS 1.2 PRF key expansion, RFC 5246 §5 and §6.3) and the per-record nonces (RFC 8446 §5.3,
RFC 5288 §3, RFC 7905 §2). The ciphers, HMAC and HKDF-Expand come from the `cryptography` package (the `tls`
extra); nothing here is hand-written cryptography. A record that fails to authenticate raises DecryptError.
"""

from __future__ import annotations

from dataclasses import dataclass
from hmac import compare_digest

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESCCM, AESGCM, ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand


class DecryptError(ValueError):
    """A record did not authenticate (wrong key, wrong sequence number, or damaged bytes)."""


@dataclass(frozen=True)
class Suite:
    """What a cipher suite needs for decryption; `fixed_iv` is the IV from the key block / schedule."""

    name: str
    cipher: str                 # "gcm", "chacha", "ccm", "cbc"
    key_len: int
    fixed_iv: int
    hash: str                   # TLS 1.3: the HKDF hash; TLS 1.2: the PRF hash
    tag_len: int = 16
    mac: str = ""               # TLS 1.2 CBC: the HMAC hash
    mac_len: int = 0


_H: dict[str, type[hashes.SHA1 | hashes.SHA256 | hashes.SHA384]] = {"sha1": hashes.SHA1, "sha256": hashes.SHA256,
                                                                  "sha384": hashes.SHA384}

TLS13_SUITES = {                # RFC 8446 §B.4
    0x1301: Suite("TLS_AES_128_GCM_SHA256", "gcm", 16, 12, "sha256"),
    0x1302: Suite("TLS_AES_256_GCM_SHA384", "gcm", 32, 12, "sha384"),
    0x1303: Suite("TLS_CHACHA20_POLY1305_SHA256", "chacha", 32, 12, "sha256"),
    0x1304: Suite("TLS_AES_128_CCM_SHA256", "ccm", 16, 12, "sha256"),
    0x1305: Suite("TLS_AES_128_CCM_8_SHA256", "ccm", 16, 12, "sha256", tag_len=8),
}


def _gcm(name: str, key_len: int, prf: str) -> Suite:       # RFC 5288 §3: 4-octet salt, 8-octet explicit nonce
    return Suite(name, "gcm", key_len, 4, prf)


def _chacha(name: str) -> Suite:                             # RFC 7905 §2: 12-octet IV, no explicit nonce
    return Suite(name, "chacha", 32, 12, "sha256")


def _cbc(name: str, key_len: int, mac: str, prf: str = "sha256") -> Suite:   # RFC 5246 §6.2.3.2
    return Suite(name, "cbc", key_len, 16, prf, tag_len=0, mac=mac, mac_len=_H[mac].digest_size)


TLS12_SUITES = {
    0x009C: _gcm("TLS_RSA_WITH_AES_128_GCM_SHA256", 16, "sha256"),
    0x009D: _gcm("TLS_RSA_WITH_AES_256_GCM_SHA384", 32, "sha384"),
    0x009E: _gcm("TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", 16, "sha256"),
    0x009F: _gcm("TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", 32, "sha384"),
    0xC02B: _gcm("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", 16, "sha256"),
    0xC02C: _gcm("TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", 32, "sha384"),
    0xC02F: _gcm("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", 16, "sha256"),
    0xC030: _gcm("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", 32, "sha384"),
    0xCCA8: _chacha("TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"),
    0xCCA9: _chacha("TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"),
    0xCCAA: _chacha("TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256"),
    0x002F: _cbc("TLS_RSA_WITH_AES_128_CBC_SHA", 16, "sha1"),
    0x0035: _cbc("TLS_RSA_WITH_AES_256_CBC_SHA", 32, "sha1"),
    0x003C: _cbc("TLS_RSA_WITH_AES_128_CBC_SHA256", 16, "sha256"),
    0x003D: _cbc("TLS_RSA_WITH_AES_256_CBC_SHA256", 32, "sha256"),
    0xC009: _cbc("TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", 16, "sha1"),
    0xC00A: _cbc("TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", 32, "sha1"),
    0xC013: _cbc("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", 16, "sha1"),
    0xC014: _cbc("TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", 32, "sha1"),
    0xC023: _cbc("TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", 16, "sha256"),
    0xC024: _cbc("TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", 32, "sha384", "sha384"),
    0xC027: _cbc("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", 16, "sha256"),
    0xC028: _cbc("TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", 32, "sha384", "sha384"),
}


# ---- key schedules --------------------------------------------------------------------------------------
def hkdf_expand_label(secret: bytes, label: bytes, context: bytes, length: int, hash_name: str) -> bytes:
    """RFC 8446 §7.1: HKDF-Expand(Secret, HkdfLabel, Length), HkdfLabel = uint16 length,
    opaque label<7..255> = "tls13 " + Label, opaque context<0..255> = Context."""
    full = b"tls13 " + label
    info = length.to_bytes(2, "big") + bytes([len(full)]) + full + bytes([len(context)]) + context
    return HKDFExpand(_H[hash_name](), length, info).derive(secret)


def traffic_keys(secret: bytes, suite: Suite) -> tuple[bytes, bytes]:
    """RFC 8446 §7.3: key = HKDF-Expand-Label(Secret, "key", "", key_length), iv = ... "iv" ..., iv_length."""
    return (hkdf_expand_label(secret, b"key", b"", suite.key_len, suite.hash),
            hkdf_expand_label(secret, b"iv", b"", suite.fixed_iv, suite.hash))


def next_traffic_secret(secret: bytes, suite: Suite) -> bytes:
    """RFC 8446 §7.2 (KeyUpdate): HKDF-Expand-Label(application_traffic_secret_N, "traffic upd", "", Hash.length)."""
    return hkdf_expand_label(secret, b"traffic upd", b"", _H[suite.hash].digest_size, suite.hash)


def _hmac(key: bytes, data: bytes, hash_name: str) -> bytes:
    mac = hmac.HMAC(key, _H[hash_name]())
    mac.update(data)
    return mac.finalize()


def prf(secret: bytes, label: bytes, seed: bytes, length: int, hash_name: str) -> bytes:
    """RFC 5246 §5: PRF(secret, label, seed) = P_hash(secret, label + seed), P_hash = HMAC_hash(secret, A(i) + seed)
    concatenated, A(0) = seed, A(i) = HMAC_hash(secret, A(i-1))."""
    seed = label + seed
    out, a = b"", seed
    while len(out) < length:
        a = _hmac(secret, a, hash_name)
        out += _hmac(secret, a + seed, hash_name)
    return out[:length]


def tls12_key_block(master: bytes, server_random: bytes, client_random: bytes, suite: Suite) -> dict[str, bytes]:
    """RFC 5246 §6.3: key_block = PRF(master_secret, "key expansion", server_random + client_random), cut into
    client/server MAC keys, client/server write keys, client/server IVs (in that order)."""
    sizes = [("c_mac", suite.mac_len), ("s_mac", suite.mac_len), ("c_key", suite.key_len), ("s_key", suite.key_len),
             ("c_iv", 0 if suite.cipher == "cbc" else suite.fixed_iv),
             ("s_iv", 0 if suite.cipher == "cbc" else suite.fixed_iv)]
    block = prf(master, b"key expansion", server_random + client_random, sum(n for _, n in sizes), suite.hash)
    out, at = {}, 0
    for name, size in sizes:
        out[name], at = block[at:at + size], at + size
    return out


def _aead(suite: Suite, key: bytes):
    if suite.cipher == "gcm":
        return AESGCM(key)
    if suite.cipher == "chacha":
        return ChaCha20Poly1305(key)
    return AESCCM(key, tag_length=suite.tag_len)


def _xor_nonce(iv: bytes, seq: int) -> bytes:
    """RFC 8446 §5.3 (and RFC 7905 §2): the 64-bit sequence number, padded on the left with zeros to the IV's
    length, XORed with the static IV."""
    padded = seq.to_bytes(len(iv), "big")
    return bytes(a ^ b for a, b in zip(iv, padded, strict=True))


# ---- record protection, one direction ---------------------------------------------------------------------
class Tls13Reader:
    """One direction's TLS 1.3 record protection (RFC 8446 §5.2): the sequence number restarts at 0 per key."""

    def __init__(self, suite: Suite, secret: bytes) -> None:
        self.suite = suite
        self.rekey(secret)

    def rekey(self, secret: bytes) -> None:
        self.secret = secret
        key, self.iv = traffic_keys(secret, self.suite)
        self.aead, self.seq = _aead(self.suite, key), 0

    def decrypt(self, header: bytes, fragment: bytes) -> tuple[int, bytes]:
        """(true content type, content) of one TLSCiphertext; additional_data is its 5-octet header."""
        try:
            inner = self.aead.decrypt(_xor_nonce(self.iv, self.seq), fragment, header)
        except (InvalidTag, ValueError):
            raise DecryptError("the record did not authenticate") from None
        self.seq += 1
        content = inner.rstrip(b"\0")          # TLSInnerPlaintext: content, type, zero padding (§5.4)
        if not content:
            raise DecryptError("an inner plaintext without a content type")
        return content[-1], content[:-1]


class Tls12Reader:
    """One direction's TLS 1.2 record protection after ChangeCipherSpec: AEAD (RFC 5246 §6.2.3.3) or CBC with
    HMAC (§6.2.3.2; encrypt-then-MAC when negotiated, RFC 7366 §3)."""

    def __init__(self, suite: Suite, key: bytes, iv: bytes, mac_key: bytes = b"", etm: bool = False) -> None:
        self.suite, self.iv, self.mac_key, self.etm = suite, iv, mac_key, etm
        self.key = key
        self.aead = None if suite.cipher == "cbc" else _aead(suite, key)
        self.seq = 0

    def decrypt(self, header: bytes, fragment: bytes) -> tuple[int, bytes]:
        content = self._cbc(header, fragment) if self.aead is None else self._aead(header, fragment)
        self.seq += 1
        return header[0], content

    def _aead(self, header: bytes, fragment: bytes) -> bytes:
        assert self.aead is not None, "called for AEAD suites only"
        if self.suite.cipher == "gcm":             # RFC 5288 §3: nonce = salt (the IV) + nonce_explicit
            nonce, body = self.iv + fragment[:8], fragment[8:]
        else:
            nonce, body = _xor_nonce(self.iv, self.seq), fragment
        length = len(body) - self.suite.tag_len
        if length < 0:
            raise DecryptError("a record shorter than its tag")
        aad = self.seq.to_bytes(8, "big") + header[:3] + length.to_bytes(2, "big")   # RFC 5246 §6.2.3.3
        try:
            return self.aead.decrypt(nonce, body, aad)
        except (InvalidTag, ValueError):
            raise DecryptError("the record did not authenticate") from None

    def _cbc(self, header: bytes, fragment: bytes) -> bytes:
        mac_len = self.suite.mac_len
        if self.etm:                               # RFC 7366 §3: the MAC covers the IV and the ciphertext
            fragment, tag = fragment[:-mac_len], fragment[-mac_len:]
            self._check_mac(header, fragment, tag)
        if len(fragment) < 32 or len(fragment) % 16:
            raise DecryptError("a CBC record of a wrong length")
        decryptor = Cipher(algorithms.AES(self.key), modes.CBC(fragment[:16])).decryptor()
        plain = decryptor.update(fragment[16:]) + decryptor.finalize()
        pad = plain[-1] + 1
        if pad > len(plain) or plain[-pad:] != bytes([plain[-1]]) * pad:
            raise DecryptError("bad CBC padding")
        plain = plain[:-pad]
        if not self.etm:
            plain, tag = plain[:-mac_len], plain[-mac_len:]
            self._check_mac(header, plain, tag)
        return plain

    def _check_mac(self, header: bytes, data: bytes, tag: bytes) -> None:
        """RFC 5246 §6.2.3.1: HMAC(MAC_write_key, seq_num + type + version + length + content)."""
        mac = _hmac(self.mac_key, self.seq.to_bytes(8, "big") + header[:3] + len(data).to_bytes(2, "big") + data,
                    self.suite.mac)
        if not compare_digest(mac, tag):
            raise DecryptError("the record's MAC did not match")
