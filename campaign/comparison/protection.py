"""Keeping 身份证号 and 卡号 unreadable in the database and matchable in SQL.

Each number is stored as AES-GCM ciphertext (to show it on a case page) and as a keyed hash,
HMAC-SHA256 truncated to 128 bits (to join and group on). The keys are kept outside the
database, in a file of the data folder (`keys/comparison.json`, mode 0600, created once:
written aside and linked into place, so two processes starting together agree on one), or
named by YKT_COMPARISON_KEY_FILE. Whoever has the database alone has neither the numbers
nor a way to test a guessed number against a hash.

The file holds generations of keys; the database says which one its values are under
(comparison_keyring). Rotation (campaign.comparison.rotation) adds a generation, re-encrypts
and re-hashes every value in one transaction, then drops the old generation."""

from __future__ import annotations

import base64
import hmac
import json
import os
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from campaign.models.comparison import HASH_LENGTH
from core.errors import InvalidInput

KEY_FILE_ENV = "YKT_COMPARISON_KEY_FILE"
KEY_FILE = Path("keys") / "comparison.json"
_NONCE = 12
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


class KeyringBroken(InvalidInput):
    """The key file cannot be read or lacks the generation the database needs."""


@dataclass(frozen=True)
class Generation:
    number: int
    cipher_key: bytes  # AES-256
    hash_key: bytes  # HMAC-SHA256

    @classmethod
    def new(cls, number: int) -> Generation:
        return cls(number, AESGCM.generate_key(bit_length=256), secrets.token_bytes(32))

    def as_json(self) -> dict[str, object]:
        return {
            "generation": self.number,
            "cipher_key": base64.b64encode(self.cipher_key).decode(),
            "hash_key": base64.b64encode(self.hash_key).decode(),
        }


class Protector:
    """Encrypts and hashes under one generation; decrypts under any the file holds."""

    def __init__(self, current: Generation, all_generations: dict[int, Generation]) -> None:
        if not 0 < current.number < 256:
            raise KeyringBroken("比对密钥的代号须在 1 至 255 之间")
        self.generation = current.number
        self._prefix = bytes([current.number])
        self._aead = AESGCM(current.cipher_key)
        self._hash_key = current.hash_key
        self._readers = {n: AESGCM(g.cipher_key) for n, g in all_generations.items()}

    def encrypt(self, value: str) -> str:
        nonce = os.urandom(_NONCE)
        sealed = self._prefix + nonce + self._aead.encrypt(nonce, value.encode(), None)
        return base64.b64encode(sealed).decode("ascii")

    def decrypt(self, token: str) -> str:
        raw = base64.b64decode(token)
        reader = self._readers.get(raw[0])
        if reader is None:
            raise KeyringBroken(f"密钥文件中没有第 {raw[0]} 代比对密钥，无法解密")
        try:
            return reader.decrypt(raw[1 : 1 + _NONCE], raw[1 + _NONCE :], None).decode()
        except InvalidTag:
            raise KeyringBroken("密文无法用密钥文件中的密钥解开（密钥不符或数据被改动）") from None

    def digest(self, value: str) -> str:
        return hmac.digest(self._hash_key, value.encode(), "sha256").hex()[:HASH_LENGTH]


class KeyFile:
    """The key file: its generations, created with one generation when missing."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def for_data_dir(cls, data_dir: Path) -> KeyFile:
        named = os.environ.get(KEY_FILE_ENV)
        return cls(Path(named) if named else data_dir / KEY_FILE)

    def generations(self) -> dict[int, Generation]:
        if not self.path.exists():
            self._create(Generation.new(1))
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            found = {
                int(item["generation"]): Generation(
                    int(item["generation"]),
                    base64.b64decode(item["cipher_key"]),
                    base64.b64decode(item["hash_key"]),
                )
                for item in data["generations"]
            }
        except (OSError, ValueError, KeyError, TypeError):
            raise KeyringBroken(f"比对密钥文件无法读取：{self.path.name}") from None
        if not found:
            raise KeyringBroken("比对密钥文件中没有密钥")
        return found

    def protector(self, generation: int | None = None) -> Protector:
        """Under the given generation (the database's), or the newest in the file."""
        found = self.generations()
        number = max(found) if generation is None else generation
        if number not in found:
            raise KeyringBroken(f"密钥文件中没有数据库所用的第 {number} 代比对密钥")
        return Protector(found[number], found)

    def write(self, generations: dict[int, Generation]) -> None:
        """Replace the file's content atomically (written aside, then renamed over it)."""
        aside = self.path.with_name(f".{self.path.name}.{secrets.token_hex(4)}")
        self._write_new(aside, generations)
        os.replace(aside, self.path)

    def _create(self, first: Generation) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        aside = self.path.with_name(f".{self.path.name}.{secrets.token_hex(4)}")
        self._write_new(aside, {first.number: first})
        try:
            os.link(aside, self.path)  # fails if another process made the file first
        except FileExistsError:
            pass
        finally:
            aside.unlink()

    @staticmethod
    def _write_new(path: Path, generations: dict[int, Generation]) -> None:
        body = {"generations": [g.as_json() for _, g in sorted(generations.items())]}
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(body, handle)
            handle.flush()
            os.fsync(handle.fileno())


# ---- the numbers themselves -------------------------------------------------------------


def normalise_id(text: str) -> str:
    """身份证号 as typed (full-width digits, spaces, a lower-case x) in its one form."""
    folded = unicodedata.normalize("NFKC", text).replace(" ", "").replace("-", "")
    return folded.upper()


def id_problem(number: str) -> str | None:
    """Why a normalised 身份证号 is not one (None when it is)."""
    if len(number) != 18 or not _ascii_digits(number[:17]) or number[17] not in "0123456789X":
        return "须为 18 位（末位可为 X）"
    if birth_date(number) is None:
        return "出生日期无效"
    total = sum(int(d) * w for d, w in zip(number[:17], _WEIGHTS, strict=True))
    if _CHECK[total % 11] != number[17]:
        return "校验位不符"
    return None


def birth_date(number: str) -> date | None:
    try:
        return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None


def check_digit(first17: str) -> str:
    """The 18th character for 17 digits (for generated test and benchmark rolls)."""
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def normalise_card(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text)
    return "".join(c for c in folded if not c.isspace() and c != "-")


def card_problem(number: str) -> str | None:
    if not _ascii_digits(number) or not 8 <= len(number) <= 32:
        return "须为 8 至 32 位数字"
    return None


def _ascii_digits(text: str) -> bool:
    """0–9 only: str.isdigit admits "²" and other digits int() refuses or reads otherwise."""
    return text.isascii() and text.isdigit()
