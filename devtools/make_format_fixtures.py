"""Write the committed document fixtures that need tools the test run may not have: an .odt and an .rtf
saved by LibreOffice (`soffice --headless`), and scanned pages (text drawn with DejaVu Sans into a
grey, slightly rotated image, no text layer) as PNG and as an image-only PDF.

Run as `python -m devtools.make_format_fixtures` (needs Debian's libreoffice-writer-nogui and fonts-dejavu)."""

from __future__ import annotations

import random
import shutil
import subprocess
import tempfile
import textwrap
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "formats"

MINUTES_HTML = """<html><head><meta charset="utf-8"><title>Compte rendu du conseil d'école</title>
<meta name="author" content="Claire Dumoulin"></head><body>
<h1>Compte rendu du conseil d'école du 14 mars 2026</h1>
<p>Le conseil s'est réuni à 18 heures dans la bibliothèque de l'école Jean-Moulin, en présence de douze parents.</p>
<p>La kermesse de fin d'année aura lieu le samedi 27 juin 2026 dans la cour de l'école.</p>
<p>La directrice, Mme Dumoulin, annonce l'ouverture d'une troisième classe de CP à la rentrée de septembre.</p>
<p>Le prochain conseil se tiendra le 9 juin 2026.</p>
</body></html>"""

LOGBOOK_HTML = """<html><head><meta charset="utf-8"><title>Keeper's logbook, winter 1893</title>
<meta name="author" content="Angus Mowat"></head><body>
<p>The supply boat was four days late because of the easterly gale.</p>
<p>On the night of 3 February 1893 the keeper Angus Mowat rescued nine sailors from the schooner Margaret Rose.</p>
<p>The lamp burned 212 gallons of colza oil over the winter.</p>
</body></html>"""

SCANS = {
    "scan-en.png": """HARBOUR BOARD NOTICE

The north pier will be closed to all vessels from 4 May to 19 June 2026 while the
crane foundations are rebuilt. Fishing boats will moor at the east basin instead.

Questions about the closure go to the harbour master, Mr Ewan Baird, at the
harbour office on Quay Street.""",
    "scan-fr.png": """AVIS DE LA MAIRIE

La piscine municipale fermera ses portes du 6 au 24 juillet 2026 pour le
remplacement complet de son système de filtration.

Pendant les travaux, les nageurs pourront utiliser gratuitement le bassin
intercommunal de Saint-Aubin, sur présentation de leur carte d'abonné.""",
}


def convert(html: str, name: str, target: str, folder: Path) -> None:
    """HTML opened in Writer, saved as OpenDocument, then (for RTF) saved again in `target`."""
    source = folder / f"{Path(name).stem}.html"
    source.write_text(html, encoding="utf-8")
    steps = [("odt:writer8", source)] + ([(target, source.with_suffix(".odt"))] if target != "odt:writer8" else [])
    for kind, path in steps:
        subprocess.run(
            ["soffice", "--headless", "--convert-to", kind, "--outdir", str(folder), str(path)],
            check=True,
            capture_output=True,
            timeout=120,
        )
    shutil.copy(folder / name, OUT / name)


def scanned_page(text: str) -> object:
    from PIL import Image, ImageDraw, ImageFilter, ImageFont

    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 34)
    page = Image.new("L", (2480, 1400), 236)  # A4 width at 300 dpi, a grey paper
    draw = ImageDraw.Draw(page)
    y = 150
    for paragraph in text.split("\n"):
        for line in textwrap.wrap(paragraph, 85) or [""]:
            draw.text((180, y), line, font=font, fill=25)
            y += 52
    noise = random.Random(7)
    for _ in range(3000):  # specks of a photocopy
        x, y = noise.randrange(page.width), noise.randrange(page.height)
        draw.point((x, y), fill=noise.randrange(80, 200))
    return page.rotate(0.7, fillcolor=236, resample=Image.Resampling.BICUBIC).filter(ImageFilter.GaussianBlur(0.6))


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        convert(MINUTES_HTML, "conseil-ecole.odt", "odt:writer8", Path(folder))
        convert(LOGBOOK_HTML, "keepers-logbook.rtf", "rtf:Rich Text Format", Path(folder))
    pages = []
    for name, text in SCANS.items():
        image = scanned_page(text)
        image.save(OUT / name, optimize=True)  # type: ignore[attr-defined]
        pages.append(image)
    pages[0].save(OUT / "scanned-notices.pdf", save_all=True, append_images=pages[1:], resolution=300)  # type: ignore[attr-defined]
    for path in sorted(OUT.iterdir()):
        print(f"{path.name}: {path.stat().st_size / 1000:.1f} kB")


if __name__ == "__main__":
    main()
