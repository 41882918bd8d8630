"""The outbox: operations queued for the centre in the same transaction as the change they describe.

kinds.py is the one table of operation kinds, queue.py queues and lists them, deadletter.py handles
what the centre rejected (import it as desktop.core.outbox.deadletter: it records audit entries, and
desktop.core.audit queues through this package)."""

from desktop.core.outbox.kinds import KINDS, OpKind, blobs_cited, check_payload
from desktop.core.outbox.queue import canonical_json, enqueue, list_ops, sha256_hex

__all__ = ["KINDS", "OpKind", "blobs_cited", "canonical_json", "check_payload", "enqueue", "list_ops",
           "sha256_hex"]
