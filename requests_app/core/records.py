"""What every record shares: rows that are appended and never changed (the database refuses an
UPDATE or DELETE, migrations 0002 and 0010), the newest row per key, and files kept privately
with their SHA-256."""

import hashlib
import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.db.models import Exists, OuterRef


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError(f"{self.model.__name__} rows are append-only: add a new row instead.")

    def delete(self):
        raise TypeError(f"{self.model.__name__} rows are append-only and cannot be deleted.")


class AppendOnlyModel(models.Model):
    """Records a decision rests on. A change is a new row; the old one stays as it was.
    PostgreSQL enforces the same with a trigger (see the migrations)."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError(f"{type(self).__name__} rows are append-only: add a new row instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError(f"{type(self).__name__} rows are append-only and cannot be deleted.")


def latest_per(queryset, *keys):
    """The newest row for each combination of `keys`: the current vote of each member,
    the current assessment of each criterion. Portable across SQLite and PostgreSQL."""
    newer = queryset.model.objects.filter(
        pk__gt=OuterRef("pk"), **{key: OuterRef(key) for key in keys}
    )
    return queryset.filter(~Exists(newer))


class PrivateStorage(FileSystemStorage):
    """Files outside every web root, in PRIVATE_FILES_ROOT, served only by a view that checks
    who asks. The setting is read when a file is stored or opened, not at import."""

    @property
    def base_location(self):
        return str(settings.PRIVATE_FILES_ROOT)

    @property
    def location(self):
        return os.path.abspath(self.base_location)


def private_storage():
    return PrivateStorage()


def stored_sha256(field_file):
    """The SHA-256 of a stored file's bytes, read in chunks, not held whole."""
    digest = hashlib.sha256()
    with field_file.open("rb") as stored:
        for chunk in iter(lambda: stored.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


class StoredFileAltered(Exception):
    """A stored MOU's bytes no longer match the SHA-256 recorded when it was rendered."""

    def __init__(self, mou):
        self.mou = mou
        super().__init__(f"{mou} does not match its SHA-256 {mou.sha256}.")
