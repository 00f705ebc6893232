"""Builds `indonesia_outside_names.tsv`: every province, kabupaten/kota, kecamatan and desa/kelurahan
of Indonesia outside DKI Jakarta, so that the gazetteer can tell a place elsewhere in the country.

    .venv/bin/python normalizer/data/build_outside_names.py [SOURCE_CSV]

SOURCE_CSV (columns kode,nama,level) defaults to ../shared/data/indonesia_wilayah_names.csv beside the
repository; it comes from Cahya DSN's wilayah data (MIT, Copyright (c) 2017-2025 Cahya DSN; the notice is
in LICENSE-indonesia_wilayah_names.txt beside the output, and ships with it).

Rows whose code starts with "31" (DKI Jakarta) are left out: Jakarta's own areas come from
jakarta_wilayah.geojson. The output has two tab-separated parts, made for a fast load (the gazetteer
reads about 70,000 lines when it is built):

    #units                         code → name of every province, kabupaten/kota and kecamatan
    32.01<TAB>Kabupaten Bogor
    #starts                        one line: every word a name can start with, for a quick first look
    #names                         a name as its words join in a message → what carries it
    bojonggede<TAB>c:Bojonggede:32.01.13
    kembangan<TAB>d:Kembangan:33.03.02 33.21.12 …

Each entry of the second part is `level:name:codes` (levels: p provinsi, k kabupaten/kota, c kecamatan,
d desa, l kelurahan), entries separated by ";". A desa's or kelurahan's codes are those of the kecamatan
holding one of that name (the desa's own code is not needed). A kabupaten/kota is also listed under its name without
"Kabupaten"/"Kota" ('bogor' → Kabupaten Bogor and Kota Bogor), a province under its usual short forms.
"""

from __future__ import annotations

import csv
import re
import sys
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from normalizer.gazetteer import PROVINCE_SHORT, national_key

DEFAULT_SOURCE = HERE.parents[2] / "shared" / "data" / "indonesia_wilayah_names.csv"
OUTPUT = HERE / "indonesia_outside_names.tsv"
LEVELS = {"provinsi": "p", "kabupaten_kota": "k", "kecamatan": "c", "desa_kelurahan": "d"}


def clean(name: str) -> str:
    return re.sub(r"\s+", " ", name.replace("\t", " ").replace(";", ",").replace(":", " ")).strip()


def build(source: Path) -> tuple[dict[str, str], dict[str, list[str]]]:
    units: dict[str, str] = {}
    carriers: dict[tuple[str, str], set[str]] = defaultdict(set)
    with source.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            code, name, level = row["kode"].strip(), clean(row["nama"]), LEVELS.get(row["level"].strip())
            if not level or not name or code.startswith("31"):
                continue
            if level == "d":
                if code.rsplit(".", 1)[1].startswith("1"):  # 1xxx: a kelurahan (in a kota); 2xxx: a desa
                    level = "l"
                carriers[(level, name)].add(code.rsplit(".", 1)[0])
            else:
                units[code] = name
                carriers[(level, name)].add(code)
    order = "pkcdl"
    names: dict[str, list[str]] = defaultdict(list)
    starts: set[str] = set()
    for (level, name), codes in sorted(carriers.items(), key=lambda item: (order.index(item[0][0]), item[0][1])):
        entry = f"{level}:{name}:{' '.join(sorted(codes))}"
        keys = [national_key(name)]
        if level == "k" and name.startswith(("Kabupaten ", "Kota ")):
            keys.append(national_key(name.split(" ", 1)[1]))
        if level == "p":
            keys.extend(PROVINCE_SHORT.get(next(iter(codes)), []))
        for key in keys:
            if key and entry not in names[key]:
                names[key].append(entry)
        words = [national_key(word) for word in name.split()]
        starts.update(w for w in (words[0], words[-1] if len(words) > 1 and level == "k" else "") if w)
        starts.update(k for k in keys if k)
    return units, names, starts


def main() -> None:
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SOURCE
    units, names, starts = build(source)
    with OUTPUT.open("w", encoding="utf-8", newline="\n") as handle:
        handle.write("#units\n")
        for code in sorted(units, key=lambda c: [int(p) for p in c.split(".")]):
            handle.write(f"{code}\t{units[code]}\n")
        handle.write("#starts\n")
        handle.write(" ".join(sorted(starts)) + "\n")
        handle.write("#names\n")
        for key in sorted(names):
            handle.write(f"{key}\t{';'.join(names[key])}\n")
    print(f"{OUTPUT.name}: {len(units)} units, {len(names)} names from {source}")


if __name__ == "__main__":
    main()
