"""Compile .po catalogues to .mo without GNU gettext.

`make` uses gettext's msgfmt (through `manage.py compilemessages`) when it is installed; on a fresh
machine that has only Python, this keeps `make run` working and the translations visible. It
handles what our catalogues use: msgctxt, plural forms, multi-line strings, and skips fuzzy entries
as msgfmt does.
"""

import ast
import struct
import sys
from pathlib import Path


def parse_po(text: str, *, include_untranslated: bool = False) -> dict[str, str]:
    """Return {msgid: msgstr} in .mo key form (context\x04id, plural ids joined by \x00).

    Untranslated entries are left out (gettext then falls back to the source string), unless
    include_untranslated asks for every msgid, as the catalogue-completeness test does.
    """
    messages: dict[str, str] = {}
    entry: dict[str, list[str]] = {}
    current: str | None = None
    fuzzy = False

    def finish() -> None:
        nonlocal entry, fuzzy
        if "msgid" in entry and not fuzzy:
            msgid = "".join(entry["msgid"])
            if "msgid_plural" in entry:
                msgid += "\x00" + "".join(entry["msgid_plural"])
                forms = sorted(k for k in entry if k.startswith("msgstr["))
                msgstr = "\x00".join("".join(entry[k]) for k in forms)
            else:
                msgstr = "".join(entry.get("msgstr", []))
            if "msgctxt" in entry:
                msgid = "".join(entry["msgctxt"]) + "\x04" + msgid
            if include_untranslated or msgstr.replace("\x00", "") or msgid == "":
                messages[msgid] = msgstr
        entry = {}
        fuzzy = False

    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("#,") and "fuzzy" in line:
            if "msgid" in entry:
                finish()
            fuzzy = True
            continue
        if not line or line.startswith("#"):
            if not line and "msgid" in entry:
                finish()
            continue
        if line.startswith('"'):
            if current is not None:
                entry[current].append(ast.literal_eval(line))
            continue
        keyword, _, rest = line.partition(" ")
        if (
            keyword in ("msgctxt", "msgid")
            and "msgid" in entry
            and (
                keyword == "msgctxt"
                or "msgstr" in entry
                or any(k.startswith("msgstr[") for k in entry)
            )
        ):
            finish()
        current = keyword
        entry[current] = [ast.literal_eval(rest)]
    finish()
    return messages


def write_mo(messages: dict[str, str], path: Path) -> None:
    """The GNU .mo layout: header, sorted original and translated string tables, then strings."""
    keys = sorted(messages)
    ids = b""
    strs = b""
    offsets = []
    for key in keys:
        key_bytes, value_bytes = key.encode(), messages[key].encode()
        offsets.append((len(ids), len(key_bytes), len(strs), len(value_bytes)))
        ids += key_bytes + b"\0"
        strs += value_bytes + b"\0"
    count = len(keys)
    key_table_at = 7 * 4
    value_table_at = key_table_at + count * 8
    ids_at = value_table_at + count * 8
    strs_at = ids_at + len(ids)
    key_table = b"".join(
        struct.pack("<2I", length, ids_at + start) for start, length, _, _ in offsets
    )
    value_table = b"".join(
        struct.pack("<2I", length, strs_at + start) for _, _, start, length in offsets
    )
    header = struct.pack("<7I", 0x950412DE, 0, count, key_table_at, value_table_at, 0, 0)
    path.write_bytes(header + key_table + value_table + ids + strs)


def main(folders: list[str]) -> None:
    for folder in folders:
        for po in sorted(Path(folder).rglob("*.po")):
            write_mo(parse_po(po.read_text(encoding="utf-8")), po.with_suffix(".mo"))


if __name__ == "__main__":
    main(sys.argv[1:] or ["locale"])
