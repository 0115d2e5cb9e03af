"""Builds `common.txt.gz`, the list of common and breached passwords identity refuses (NIST SP 800-63B
§3.1.1.2), offline, from two MIT-licensed npm packages of the zxcvbn-ts project:

- `@zxcvbn-ts/language-common` 4.1.3, `src/passwords.json`: the ~49,000 most common passwords of
  public breach corpora (zxcvbn's Xato/Dropbox lists, extended by zxcvbn-ts);
- `@zxcvbn-ts/language-fr` 4.1.2, `src/commonWords.json`: French words by frequency (OpenSubtitles
  2024 via OPUS, ODC-BY); the 20,000 most frequent of 4 letters or more, French passwords being
  mostly French words with digits or signs around them ("soleil", "marseille", "motdepasse").

Run it on the unpacked packages (`npm pack @zxcvbn-ts/language-common@4.1.3 @zxcvbn-ts/language-fr@4.1.2`,
then `tar xzf` each into its own folder):

    python -m identity.passwords.build <language-common/package> <language-fr/package>

Entries are stored as the check compares them (`identity.domain.passwords.fold`): lower case, no
accents. Licences: LICENSES.md beside this file."""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

from identity.domain.passwords import fold

OUTPUT = Path(__file__).parent / "common.txt.gz"
FRENCH_WORDS = 20_000


def build(common: Path, french: Path) -> set[str]:
    passwords = json.loads((common / "src" / "passwords.json").read_text(encoding="utf-8"))
    words = json.loads((french / "src" / "commonWords.json").read_text(encoding="utf-8"))
    entries = {fold(p) for p in passwords}
    entries |= {fold(w) for w in words[:FRENCH_WORDS] if len(w) >= 4 and "'" not in w}
    return {e for e in entries if e}


def main(argv: list[str]) -> int:
    common, french = (Path(a) for a in argv)
    entries = build(common, french)
    # mtime=0: the same packages give the same bytes.
    with gzip.GzipFile(OUTPUT, "wb", mtime=0) as out:
        out.write("".join(f"{e}\n" for e in sorted(entries)).encode())
    print(f"{len(entries)} entries written to {OUTPUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
