"""The read log: who read which personal data, when and from which address. Appended, never
changed; kept for READ_LOG_RETENTION_DAYS, then purged by `manage.py purge_read_log` alone
(migration 0019 says how the database tells the purge from any other DELETE)."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from requests_app.core import chain


class ReadLogEntry(chain.ChainedRecord):
    """One read: a page or a file that showed a request's people and answers, or a CSV export.
    Written by `requests_app.audit.services.record_read` alone, once the read succeeded."""

    class Kind(models.TextChoices):
        REQUEST_PAGE = "request_page", "Request page"
        APPLICATION_VERSION = "application_version", "Application version"
        ATTACHMENT = "attachment", "Attachment"
        # The MOU's page lists the people given access, their trainings and levels.
        MOU_PAGE = "mou_page", "MOU page"
        MOU_VERSION = "mou_version", "MOU version"
        DRAFT_MOU = "draft_mou", "Draft MOU"
        CSV_EXPORT = "csv_export", "CSV export"

    # Indexed by reads_by_person, which leads with it.
    reader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    kind = models.CharField(max_length=30, choices=Kind.choices)
    # Empty for a CSV export, which concerns a list. Without a database constraint: a draft its
    # organization deletes (application/services.py delete_draft) goes, and its entries stay
    # as they were, since an append-only row can neither block the deletion nor be changed by
    # it. `reference` keeps which request it was.
    request = models.ForeignKey(
        "requests_app.AccessRequest",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,  # indexed by reads_of_request, which leads with it
        related_name="+",
    )
    reference = models.CharField(max_length=20, blank=True)
    # What exactly: the attachment's name, the version's number, the CSV's name and filters.
    subject = models.CharField(max_length=2000, blank=True)
    # The client's address as allauth's rate limits take it (audit/services.py client_address).
    address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "read-log entry"
        verbose_name_plural = "read log"
        indexes = [
            # Who has seen a request, and the audit page by person or by reference, newest first.
            models.Index(fields=["request", "created_at"], name="reads_of_request"),
            models.Index(fields=["reader", "created_at"], name="reads_by_person"),
            models.Index(fields=["reference", "created_at"], name="reads_by_reference"),
            # The audit page by what was read, or from which address: without them a rare kind
            # or address read the log back to its start (a second at 1,000,000 reads).
            models.Index(fields=["kind", "created_at"], name="reads_by_kind"),
            models.Index(fields=["address", "created_at"], name="reads_from_address"),
            # The chain's newest entry, read as each entry is added to it.
            models.Index(fields=["reference", "id"], name="reads_chain"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["reference", "prev_digest"], name="one_read_after_each")
        ]

    def chain_records(self):
        """The reads of one request form a hash chain, and the CSV exports (no request)
        another, in the order they were recorded (core/chain.py)."""
        return ReadLogEntry.objects.filter(reference=self.reference)

    def content(self):
        """What the entry's digest seals, by stable identifiers (core/chain.py)."""
        return chain.read_content(
            self.reference,
            self.reader_id,
            self.kind,
            self.subject,
            self.address,
            self.created_at,
        )

    def __str__(self):
        what = " ".join(filter(None, [self.get_kind_display(), self.reference, self.subject]))
        return f"{what}, {self.created_at:%Y-%m-%d %H:%M}"
