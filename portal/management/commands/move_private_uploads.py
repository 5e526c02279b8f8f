import os
import shutil
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from portal.storage import PUBLIC_FOLDERS


class Command(BaseCommand):
    help = (
        "Move uploads that are not website images (documents first) from MEDIA_ROOT/<schema>/ to "
        "PRIVATE_MEDIA_ROOT/<schema>/, where only permission-checked views serve them. Idempotent."
    )

    def handle(self, *args, **options):
        media, private = Path(settings.MEDIA_ROOT), Path(settings.PRIVATE_MEDIA_ROOT)
        moved = kept = 0
        if media.is_dir():
            for schema_dir in sorted(p for p in media.iterdir() if p.is_dir()):
                for entry in sorted(schema_dir.iterdir()):
                    if entry.name in PUBLIC_FOLDERS:
                        continue
                    for source in [entry] if entry.is_file() else sorted(p for p in entry.rglob("*") if p.is_file()):
                        target = private / schema_dir.name / source.relative_to(schema_dir)
                        if target.exists():
                            kept += 1
                            self.stderr.write(f"Left {source}: {target} already exists.")
                            continue
                        target.parent.mkdir(parents=True, exist_ok=True)
                        shutil.move(source, target)
                        moved += 1
                    if entry.is_dir() and not any(p.is_file() for p in entry.rglob("*")):
                        shutil.rmtree(entry)
        os.makedirs(private, exist_ok=True)
        if options["verbosity"]:
            self.stdout.write(f"{moved} private upload(s) moved out of the media root; {kept} left (already present).")
