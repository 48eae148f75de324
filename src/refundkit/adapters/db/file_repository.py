"""Uploaded files and dispute evidence, mapped by hand between rows and records."""

from __future__ import annotations

from collections.abc import Collection, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from refundkit.adapters.db import tables as t
from refundkit.adapters.db.dialects import lock_name
from refundkit.service.file_ports import Evidence, EvidenceRecord, FileRecord


def _file(row: RowMapping) -> FileRecord:
    return FileRecord(
        id=row["id"],
        owner_id=row["owner_id"],
        purpose=row["purpose"],
        content_type=row["content_type"],
        size=int(row["size"]),
        sha256=row["sha256"],
        storage_name=row["storage_name"],
        display_name=row["display_name"],
        created_at=row["created_at"],
    )


class SqlFileRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, record: FileRecord) -> None:
        self._conn.execute(
            t.files.insert().values(
                id=record.id,
                owner_id=record.owner_id,
                purpose=record.purpose,
                content_type=record.content_type,
                size=record.size,
                sha256=record.sha256,
                storage_name=record.storage_name,
                display_name=record.display_name,
                created_at=record.created_at,
            )
        )

    def bytes_owned_by(self, owner_id: str, *, lock: bool) -> int:
        if lock:
            lock_name(self._conn, f"uploads:{owner_id}")
        total = self._conn.execute(
            sa.select(sa.func.coalesce(sa.func.sum(t.files.c.size), 0)).where(
                t.files.c.owner_id == owner_id
            )
        ).scalar_one()
        return int(total)

    def get(self, file_id: str) -> FileRecord | None:
        row = (
            self._conn.execute(sa.select(t.files).where(t.files.c.id == file_id)).mappings().first()
        )
        return None if row is None else _file(row)

    def is_party_to(self, user_id: str, file_id: str) -> bool:
        f, e, d = t.files, t.dispute_evidence, t.disputes
        owned = sa.select(f.c.id).where(f.c.id == file_id, f.c.owner_id == user_id)
        party = (
            sa.select(e.c.file_id)
            .join(d, d.c.id == e.c.dispute_id)
            .where(
                e.c.file_id == file_id, sa.or_(d.c.buyer_id == user_id, d.c.seller_id == user_id)
            )
        )
        found = self._conn.execute(sa.union_all(owned, party).limit(1)).first()
        return found is not None

    def count_for_dispute(self, dispute_id: str) -> int:
        e = t.dispute_evidence
        count = self._conn.execute(
            sa.select(sa.func.count()).select_from(e).where(e.c.dispute_id == dispute_id)
        ).scalar_one()
        return int(count)

    def attach(self, evidence: EvidenceRecord) -> None:
        self._conn.execute(
            t.dispute_evidence.insert().values(
                id=evidence.id,
                dispute_id=evidence.dispute_id,
                file_id=evidence.file_id,
                note=evidence.note,
                added_by=evidence.added_by,
                added_role=evidence.added_role,
                created_at=evidence.created_at,
            )
        )

    def unattached_owned_by(self, owner_id: str, file_ids: Collection[str]) -> set[str]:
        if not file_ids:
            return set()
        f, e = t.files, t.dispute_evidence
        attached = sa.select(e.c.file_id).where(e.c.file_id.in_(list(file_ids)))
        rows = self._conn.execute(
            sa.select(f.c.id).where(
                f.c.id.in_(list(file_ids)),
                f.c.owner_id == owner_id,
                f.c.id.not_in(attached),
            )
        ).scalars()
        return {str(file_id) for file_id in rows}

    def evidence_for_dispute(self, dispute_id: str) -> Sequence[Evidence]:
        f, e = t.files, t.dispute_evidence
        rows = self._conn.execute(
            sa.select(
                e.c.id.label("evidence_id"),
                e.c.dispute_id,
                e.c.note,
                e.c.added_by,
                e.c.added_role,
                e.c.created_at.label("attached_at"),
                *f.c,
            )
            .join(f, f.c.id == e.c.file_id)
            .where(e.c.dispute_id == dispute_id)
            .order_by(e.c.created_at, e.c.id)
        ).mappings()
        return [
            Evidence(
                EvidenceRecord(
                    id=row["evidence_id"],
                    dispute_id=row["dispute_id"],
                    file_id=row["id"],
                    note=row["note"],
                    added_by=row["added_by"],
                    added_role=row["added_role"],
                    created_at=row["attached_at"],
                ),
                _file(row),
            )
            for row in rows
        ]
